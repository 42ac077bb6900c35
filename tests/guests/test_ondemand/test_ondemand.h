/* test_ondemand.h: the architecture's instructions (test_ondemand_<arch>.c). */
#ifndef TEST_ONDEMAND_H
#define TEST_ONDEMAND_H

#include "guest.h"

/* 16 bytes with one vector load and store (SSE). */
void touch_sse_store(void *at, const void *from);
void touch_sse_load(void *to, const void *at);
/* n bytes with one string instruction. */
void touch_rep_stos(void *at, uint8_t value, size_t n);
void touch_rep_movs(void *at, const void *from, size_t n);
/* *at += add, atomically; returns the old value. */
uint64_t touch_lock_xadd(uint64_t *at, uint64_t add);

#endif

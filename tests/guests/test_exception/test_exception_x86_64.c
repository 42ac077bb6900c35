/* test_exception_x86_64.c: `std`, left set for the fault that follows. */
void guest_set_direction_flag(void);

void guest_set_direction_flag(void)
{
    __asm__ __volatile__("std" ::: "memory");
}

/* test_exception_aarch64.c: no direction flag on this architecture. */
void guest_set_direction_flag(void);

void guest_set_direction_flag(void)
{
}

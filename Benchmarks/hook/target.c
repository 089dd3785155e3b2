/* The function the hook benchmark wraps. */
int target_add(int a, int b) { return a + b; }

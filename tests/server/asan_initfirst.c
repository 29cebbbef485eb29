/* Preloaded into kore in sanitizer builds only (tests/server/CMakeLists.txt),
 * linked with -z initfirst so that its constructor runs before any other
 * library's. Otherwise the ASan runtime initialises lazily on the first
 * malloc(), which libp11-kit's constructor makes inside newlocale() while it
 * holds glibc's locale lock; the runtime's own dlerror() then takes and
 * releases that lock again, the lock's count is broken, and the first
 * freelocale() at exit waits for ever (kore hung at exit and after SIGTERM). */

void __asan_init(void);

__attribute__((constructor)) static void asan_init_first(void)
{
    __asan_init();
}

/* Wine 8 (Debian 12) has no bcryptprimitives.dll, but Rust std (>= 1.78) on Windows
 * gets its random bytes from bcryptprimitives!ProcessPrng, so every Rust program fails
 * to start under it. This stand-in DLL, used only by the test harness, forwards to
 * RtlGenRandom (advapi32!SystemFunction036), which Wine has. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved) {
    (void)instance; (void)reason; (void)reserved;
    return TRUE;
}

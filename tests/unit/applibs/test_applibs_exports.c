/* SPDX-License-Identifier: MIT */
/* test_applibs_exports.c — libapplibs adds no name to an app's link namespace but the Applibs
 * API and the C library functions it interposes (docs/runtime.md, "What libapplibs exports").
 *
 * For every SDK sysroot (APPLIBS_SDK_DIR/Sysroots/<API set>) it lists the global defined symbols
 * of usr/lib/libapplibs_core.a (`nm -g --defined-only -P`) and fails on each name that is
 * neither an Applibs API name — one of the headers' prefixes (or an unprefixed name of theirs,
 * clock_systohc) and declared in the sysroot's usr/include/applibs headers — nor in the allow-list
 * of interposed C library names below, which must equal libapplibs.ld's EXTERN list.
 * And the broker client's object (APPLIBS_OBJECTS, the library's objects before `ld -r`) calls
 * none of those names: it talks on system calls, since the interposers ask the broker. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

/* The prefixes of the headers in src/applibs/include/applibs. */
static const char *const api_prefixes[] = {
    "ADC_",     "Application_", "Applications_", "EventLoop_", "GPIO_",         "I2CMaster_",
    "Log_",     "Networking_",  "OpenSphere_Networking_",      "PowerManagement_", "PWM_",
    "SPIMaster_", "Storage_",   "SysEvent_",     "UART_",       "WifiConfig_",   "CertStore_",
};
/* Applibs API names without a prefix: applibs/rtc.h. */
static const char *const api_unprefixed[] = {"clock_systohc"};
/* The C library functions libapplibs defines in their place (src/applibs/interpose.c). */
static const char *const interposed[] = {
    "getaddrinfo", "freeaddrinfo", "socket",   "connect",  "bind",     "listen", "setsockopt",
    "getsockopt",  "getsockname",  "getpeername", "recvfrom", "recv",  "recvmsg", "recvmmsg",
    "read",        "sendto",       "send",     "sendmsg",  "sendmmsg", "write", "close",
    "clock_gettime", "clock_settime", "time", "gettimeofday", "res_query", "res_search", "res_send",
    "res_nquery", "res_nsearch", "res_nsend",
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    for (size_t n; text && (n = fread(text + len, 1, cap - len - 1, f)) > 0;) {
        len += n;
        if (cap - len < 2) {
            char *bigger = realloc(text, cap *= 2);
            if (!bigger)
                free(text);
            text = bigger;
        }
    }
    fclose(f);
    if (text)
        text[len] = '\0';
    return text;
}

static bool is_ident(char c) { return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* Whether `text` names `name` as a whole word followed by '(' (a declaration or a use). */
static bool declares(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = strstr(text, name); p; p = strstr(p + 1, name)) {
        if (p > text && is_ident(p[-1]))
            continue;
        const char *q = p + n;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q == '(')
            return true;
    }
    return false;
}

static bool listed(const char *const *list, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (!strcmp(list[i], name))
            return true;
    return false;
}

/* The rule: an Applibs API name its headers declare, or an allowed interposer. */
static bool allowed(const char *headers, const char *name)
{
    if (listed(interposed, COUNT(interposed), name))
        return true;
    bool api_name = listed(api_unprefixed, COUNT(api_unprefixed), name);
    /* The SDK's versioned entry points: z__WifiConfig_GetScannedNetworks behind an inline
     * WifiConfig_GetScannedNetworks that passes the struct version. */
    const char *base = strncmp(name, "z__", 3) ? name : name + 3;
    for (size_t i = 0; i < COUNT(api_prefixes) && !api_name; i++)
        api_name = !strncmp(base, api_prefixes[i], strlen(api_prefixes[i]));
    return api_name && declares(headers, name);
}

/* Concatenates the sysroot's usr/include/applibs headers. */
static char *sysroot_headers(const char *root)
{
    char dir[1024];
    assert_true(snprintf(dir, sizeof dir, "%s/usr/include/applibs", root) < (int)sizeof dir);
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t len = 0;
    char *all = calloc(1, 1);
    for (struct dirent *e; all && (e = readdir(d));) {
        size_t nl = strlen(e->d_name);
        if (nl < 3 || strcmp(e->d_name + nl - 2, ".h"))
            continue;
        char path[1536];
        assert_true(snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path);
        char *text = read_text(path);
        assert_non_null(text);
        char *more = realloc(all, len + strlen(text) + 2);
        assert_non_null(more);
        all = more;
        strcpy(all + len, text);
        len += strlen(text);
        all[len++] = '\n';
        all[len] = '\0';
        free(text);
    }
    closedir(d);
    assert_non_null(all);
    return all;
}

/* Checks one sysroot; returns the number of stray names (each printed). */
static int check_sysroot(const char *root, const char *headers)
{
    char cmd[2048];
    assert_true(snprintf(cmd, sizeof cmd, "'%s' -g --defined-only -P '%s/usr/lib/libapplibs_core.a'", APPLIBS_NM,
                         root) < (int)sizeof cmd);
    FILE *nm = popen(cmd, "r");
    assert_non_null(nm);
    int strays = 0, api = 0;
    bool seen[COUNT(interposed)] = {false};
    char line[1024];
    while (fgets(line, sizeof line, nm)) {
        char name[512], type[8];
        if (sscanf(line, "%511s %7s", name, type) != 2 || name[strlen(name) - 1] == ':')
            continue; /* an archive member's heading */
        for (size_t i = 0; i < COUNT(interposed); i++)
            seen[i] = seen[i] || !strcmp(interposed[i], name);
        if (!allowed(headers, name)) {
            fprintf(stderr, "%s: stray global symbol %s (%s): neither an Applibs API name declared in "
                            "usr/include/applibs nor an interposed C library name\n", root, name, type);
            strays++;
        } else if (!listed(interposed, COUNT(interposed), name)) {
            api++;
        }
    }
    int status = pclose(nm);
    if (!WIFEXITED(status) || WEXITSTATUS(status))
        fail_msg("%s failed (status %d)", cmd, status);
    if (api < 50) /* the archive is there and nm read it: the API has about 60 functions */
        fail_msg("%s: only %d Applibs functions exported", root, api);
    for (size_t i = 0; i < COUNT(interposed); i++)
        if (!seen[i])
            fail_msg("%s: interposer %s is not exported", root, interposed[i]);
    return strays;
}

static void every_sysroot_exports_only_applibs_and_the_interposers(void **state)
{
    (void)state;
    char dir[1024];
    assert_true(snprintf(dir, sizeof dir, "%s/Sysroots", APPLIBS_SDK_DIR) < (int)sizeof dir);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int sysroots = 0, strays = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char root[1536];
        assert_true(snprintf(root, sizeof root, "%s/%s", dir, e->d_name) < (int)sizeof root);
        char *headers = sysroot_headers(root);
        strays += check_sysroot(root, headers);
        free(headers);
        sysroots++;
    }
    closedir(d);
    assert_true(sysroots > 0);
    if (strays)
        fail_msg("%d stray global symbol(s) in libapplibs (above); make them static, or hidden (only names an "
                 "Applibs header declares are exported, src/applibs/private/export.h). Rerun: %s/tests/"
                 "test_applibs_exports", strays, OPENSPHERE_BINARY_DIR);
}

/* The allow-list is the set libapplibs.ld forces in: a name in one and not the other is a bug
 * in one of them. */
static void the_allow_list_is_the_linker_scripts_extern_list(void **state)
{
    (void)state;
    char *ld = read_text(OPENSPHERE_SOURCE_DIR "/src/applibs/libapplibs.ld");
    assert_non_null(ld);
    char *start = strstr(ld, "EXTERN(");
    assert_non_null(start);
    start += strlen("EXTERN(");
    char *end = strchr(start, ')');
    assert_non_null(end);
    *end = '\0';
    size_t found = 0;
    for (char *save = NULL, *name = strtok_r(start, " \t\n", &save); name; name = strtok_r(NULL, " \t\n", &save)) {
        if (!listed(interposed, COUNT(interposed), name))
            fail_msg("libapplibs.ld forces in %s, which the export allow-list does not have", name);
        found++;
    }
    free(ld);
    assert_int_equal(found, COUNT(interposed));
}

/* broker_client.c must not call an interposer: their logic (netshim.c) asks the broker, so a
 * broker call through send()/recvmsg() could come back to itself. */
static void the_broker_client_calls_no_interposer(void **state)
{
    (void)state;
    const char *objects = APPLIBS_OBJECTS, *suffix = "/broker_client.c.o", *object = NULL;
    size_t object_len = 0;
    for (const char *p = objects; *p;) {
        size_t n = strcspn(p, ":");
        if (n >= strlen(suffix) && !strncmp(p + n - strlen(suffix), suffix, strlen(suffix))) {
            object = p;
            object_len = n;
        }
        p += n + (p[n] == ':');
    }
    if (!object)
        fail_msg("no broker_client.c.o in APPLIBS_OBJECTS (%s)", objects);
    char cmd[4096];
    assert_true(snprintf(cmd, sizeof cmd, "'%s' -u -P '%.*s'", APPLIBS_NM, (int)object_len, object) < (int)sizeof cmd);
    FILE *nm = popen(cmd, "r");
    assert_non_null(nm);
    int undefined = 0, calls = 0;
    char line[1024];
    while (fgets(line, sizeof line, nm)) {
        char name[512];
        if (sscanf(line, "%511s", name) != 1)
            continue;
        undefined++;
        if (listed(interposed, COUNT(interposed), name)) {
            fprintf(stderr, "broker_client.c calls %s, one of libapplibs' interposers\n", name);
            calls++;
        }
    }
    int status = pclose(nm);
    if (!WIFEXITED(status) || WEXITSTATUS(status))
        fail_msg("%s failed (status %d)", cmd, status);
    assert_true(undefined > 0); /* nm read it: it calls syscall() at least */
    assert_int_equal(calls, 0);
}

/* The rule itself refuses libapplibs' internal names and undeclared look-alikes. */
static void internal_and_undeclared_names_are_refused(void **state)
{
    (void)state;
    const char *headers = "int GPIO_OpenAsInput(GPIO_Id gpioId);\nint clock_systohc(void);\n";
    assert_true(allowed(headers, "GPIO_OpenAsInput"));
    assert_true(allowed(headers, "clock_systohc"));
    assert_true(allowed(headers, "connect"));
    const char *refused[] = {"applibs_broker_call", "netshim_socket", "board_client_call", "GPIO_Helper",
                             "GPIO_OpenAsInputX", "accept", "bytes_le32"};
    for (size_t i = 0; i < COUNT(refused); i++)
        if (allowed(headers, refused[i]))
            fail_msg("%s was allowed", refused[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_sysroot_exports_only_applibs_and_the_interposers),
        cmocka_unit_test(the_allow_list_is_the_linker_scripts_extern_list),
        cmocka_unit_test(the_broker_client_calls_no_interposer),
        cmocka_unit_test(internal_and_undeclared_names_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

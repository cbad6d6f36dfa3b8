/* SPDX-License-Identifier: MIT */
/* fuzz_broker.c — the broker's dispatch (broker_dispatch, the code sphered runs for every request
 * an app sends) on arbitrary request bytes, in-process, on a real device state folder and board.
 * Input: byte 0 = flags (bit 0: attach a descriptor, a pipe holding the bytes after the request;
 * bit 1: the manifest that grants nothing; bit 2: leave the pipe's writer open), then up to one
 * struct broker_request (a shorter one is a truncated request), then the pipe's contents.
 * Invariants: no crash, leak or sanitizer report; the result is 0, BROKER_REPLY_LATER or a
 * negative errno; a refusal hands out no descriptor; afterwards the broker still answers a plain
 * request correctly (BROKER_OS_VERSION), so no malformed request leaves it confused; descriptors
 * do not pile up. The manifest lists no network host or port: nothing is ever contacted. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker_ops.h"
#include "guid.h"
#include "hostio.h"
#include "json.h"
#include "runtime_sysevent.h"
#include "signing.h"

static const char granting_manifest[] =
    "{\"Capabilities\":{\"Gpio\":[8,9,12],\"Uart\":[\"ISU0\"],\"I2cMaster\":[\"ISU1\"],\"SpiMaster\":[\"ISU2\"],"
    "\"Adc\":[\"ADC-CONTROLLER-0\"],\"Pwm\":[\"PWM-CONTROLLER-0\"],\"MutableStorage\":{\"SizeKB\":8},"
    "\"PowerControls\":[\"ForceReboot\",\"ForcePowerDown\",\"SetPowerProfile\"],\"SystemEventNotifications\":true,"
    "\"SoftwareUpdateDeferral\":true,\"WifiConfig\":true,\"EnterpriseWifiConfig\":true,\"CertStore\":true,"
    "\"NetworkConfig\":true}}";
static const char empty_manifest[] = "{\"Capabilities\":{}}";

struct fixture {
    char dir[64];
    struct device *device;
    struct board *board;
    struct applog *log;
    struct sysev *sysevents;
    struct json_value *granting, *empty;
    struct guid cid;
    char cid_text[GUID_TEXT_LEN + 1];
    int reply[2]; /* [0] the app's end, drained after each input; [1] the device's (reply_sock) */
    int baseline_fds;
};

static struct json_value *parse(const char *text)
{
    struct diag_list diags = {0};
    struct json_value *v = NULL;
    json_parse(text, strlen(text), NULL, "manifest", &diags, &v);
    diag_list_free(&diags);
    if (!v)
        abort();
    return v;
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (!d)
        return 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static void make_trust(const char *trust)
{
    static const char *const names[] = {"sdk-signing", "production", "security-service"};
    hostio_make_dirs(trust, 0700);
    for (int i = 0; i < 3; i++) {
        char *k = NULL, *c = NULL, path[160];
        uint8_t thumb[20];
        if (signing_generate(names[i], 30, &k, &c, thumb))
            abort();
        snprintf(path, sizeof path, "%s/%s.cert.pem", trust, names[i]);
        hostio_write_file_atomic(path, c, strlen(c), 0644);
        free(k);
        free(c);
    }
}

static void remove_state(void);

static struct fixture *fixture(void)
{
    static struct fixture f;
    static int ready;
    if (ready)
        return &f;
    signal(SIGPIPE, SIG_IGN);
    snprintf(f.dir, sizeof f.dir, "/tmp/fuzz-broker.XXXXXX");
    if (!mkdtemp(f.dir))
        abort();
    char trust[96], state[96], why[256];
    snprintf(trust, sizeof trust, "%s/trust", f.dir);
    snprintf(state, sizeof state, "%s/dev", f.dir);
    make_trust(trust);
    struct device_config cfg = {.https_port = 1, .trust_dir = trust};
    if (device_create(state, &cfg, why, sizeof why) ||
        device_open(state, OPENSPHERE_SOURCE_DIR "/sdk", &f.device, why, sizeof why) || applog_create(&f.log) ||
        board_create(&f.board) || sysev_create(f.log, &f.sysevents)) {
        fprintf(stderr, "fuzz_broker: setup: %s\n", why);
        abort();
    }
    f.granting = parse(granting_manifest);
    f.empty = parse(empty_manifest);
    if (guid_parse("5ec0e5ca-0000-4000-8000-00000000f022", &f.cid) ||
        socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, f.reply))
        abort();
    guid_format(&f.cid, f.cid_text);
    f.baseline_fds = count_fds();
    atexit(remove_state);
    ready = 1;
    return &f;
}

static void remove_state(void) { hostio_remove_tree(fixture()->dir); }

/* Reads whatever replies the broker pool sent, closing any descriptor they carried. */
static void drain_replies(int sock)
{
    for (;;) {
        struct broker_reply r;
        char control[CMSG_SPACE(sizeof(int))];
        struct iovec iov = {&r, sizeof r};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
        if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) <= 0)
            return;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                int fd;
                memcpy(&fd, CMSG_DATA(c), sizeof fd);
                close(fd);
            }
    }
}

static int run(struct fixture *f, const struct json_value *manifest, struct broker_request *q, size_t n, int request_fd,
               struct broker_reply *r, int *fd)
{
    struct broker_context ctx = {.device = f->device, .board = f->board, .log = f->log, .component_id = &f->cid,
                                 .component_text = f->cid_text, .app_name = "fuzz", .manifest = manifest,
                                 .storage_quota = 8 * 1024, .sysevents = f->sysevents, .reply_sock = f->reply[1],
                                 .request_fd = request_fd};
    memset(r, 0, sizeof *r);
    return broker_dispatch(&ctx, q, n, r, fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size)
{
    struct fixture *f = fixture();
    if (size < 1)
        return 0;
    uint8_t flags = input[0];
    input++, size--;
    struct broker_request q;
    memset(&q, 0, sizeof q);
    size_t n = size < sizeof q ? size : sizeof q;
    memcpy(&q, input, n);
    const uint8_t *blob = input + n;
    size_t blob_len = size - n;
    int p[2] = {-1, -1};
    if ((flags & 1) && pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0) {
        if (blob_len && write(p[1], blob, blob_len > 65536 ? 65536 : blob_len) < 0)
            abort();
        if (!(flags & 4)) {
            close(p[1]);
            p[1] = -1;
        }
    }
    struct broker_reply r;
    int fd = -1;
    int result = run(f, (flags & 2) ? f->empty : f->granting, &q, n, p[0], &r, &fd);
    if (result != 0 && result != BROKER_REPLY_LATER && (result > 0 || result < -4095))
        abort(); /* not a result an Applibs call can return */
    if (fd >= 0 && result != 0)
        abort(); /* a refusal handed out a descriptor */
    if (fd >= 0)
        close(fd);
    if (p[0] >= 0)
        close(p[0]);
    if (p[1] >= 0)
        close(p[1]);
    drain_replies(f->reply[0]);
    /* Not confused: a plain request still gets its plain answer. */
    struct broker_request plain = {.version = BROKER_VERSION, .op = BROKER_OS_VERSION};
    fd = -1;
    if (run(f, f->granting, &plain, sizeof plain, -1, &r, &fd) != 0 || fd != -1 || r.text[0] == '\0')
        abort();
    static unsigned calls;
    if (++calls % 512 == 0) {
        usleep(1000); /* pool workers finishing a reply */
        drain_replies(f->reply[0]);
        if (count_fds() > f->baseline_fds + 32)
            abort(); /* descriptors pile up */
    }
    return 0;
}

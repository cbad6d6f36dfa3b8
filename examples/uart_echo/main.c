/* SPDX-License-Identifier: MIT */
/* UartEcho — an OpenSphere example high-level app (our own code).
 *
 * Opens the UART on ISU0 (header 2) at 115200 8N1 and echoes every byte it receives, upper-cased,
 * using the event loop. On the simulator, attach to the UART with
 * `picocom $(sphere sim uart ISU0 | head -1)` and type. Exits cleanly on SIGTERM. */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <applibs/eventloop.h>
#include <applibs/log.h>
#include <applibs/uart.h>

#include <hw/mt3620_rdb.h>

static volatile sig_atomic_t stop;
static unsigned long echoed;

static void on_sigterm(int signal) { stop = 1; }

static void on_uart(EventLoop *loop, int fd, EventLoop_IoEvents events, void *context)
{
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0)
        return;
    for (ssize_t i = 0; i < n; i++)
        buf[i] = (char)toupper((unsigned char)buf[i]);
    ssize_t w = write(fd, buf, (size_t)n);
    if (w > 0)
        echoed += (unsigned long)w;
    Log_Debug("Echoed %zd bytes (%lu in all)\n", w, echoed);
}

int main(void)
{
    struct sigaction act = {.sa_handler = on_sigterm};
    sigaction(SIGTERM, &act, NULL);
    UART_Config config;
    UART_InitConfig(&config);
    config.baudRate = 115200;
    config.flowControl = UART_FlowControl_None;
    int uart = UART_Open(MT3620_RDB_HEADER2_ISU0_UART, &config);
    if (uart < 0) {
        Log_Debug("ERROR: UART_Open: %s (%d)\n", strerror(errno), errno);
        return 2;
    }
    EventLoop *loop = EventLoop_Create();
    EventRegistration *reg = loop ? EventLoop_RegisterIo(loop, uart, EventLoop_Input, on_uart, NULL) : NULL;
    if (!reg) {
        Log_Debug("ERROR: cannot watch the UART: %s\n", strerror(errno));
        return 3;
    }
    Log_Debug("UART echo ready on ISU0\n");
    while (!stop) {
        EventLoop_Run_Result r = EventLoop_Run(loop, -1, true);
        if (r == EventLoop_Run_Failed && errno != EINTR)
            break;
    }
    EventLoop_UnregisterIo(loop, reg);
    EventLoop_Close(loop);
    close(uart);
    Log_Debug("UART echo exiting\n");
    return 0;
}

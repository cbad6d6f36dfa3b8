/* SPDX-License-Identifier: MIT */
/* boardprobe.c — a test app for the board, run by tests/cli/test_board.sh: each argument names a
 * probe of the UART, I2C, SPI, ADC or PWM Applibs; the app runs them in order, printing
 * "PROBE <name> ok [detail]" or "PROBE <name> <errno name>", then serves "uartecho" (echoes the
 * UART in upper case) or waits for SIGTERM. Handles stay open until the app exits. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <applibs/adc.h>
#include <applibs/i2c.h>
#include <applibs/pwm.h>
#include <applibs/spi.h>
#include <applibs/uart.h>

static char detail[128];

static void report(const char *name, long rc)
{
    printf("PROBE %s %s%s%s\n", name, rc >= 0 ? "ok" : strerrorname_np(errno), rc >= 0 && detail[0] ? " " : "",
           rc >= 0 ? detail : "");
    fflush(stdout);
    detail[0] = '\0';
}

static volatile sig_atomic_t terminated;
static void on_term(int s) { terminated = 1; }

static int uart = -1, i2c = -1, spi_a = -1, spi_b = -1, adc = -1, pwm = -1;

static long ms_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

static int uart_with(uint32_t baud, int id, int init)
{
    UART_Config c;
    memset(&c, 0, sizeof c);
    if (init)
        UART_InitConfig(&c);
    c.baudRate = baud;
    return UART_Open(id, &c);
}

/* W25Q: wait until status register 1 shows no BUSY; returns the polls made. */
static int flash_wait(int fd)
{
    uint8_t cmd = 0x05, sr = 1;
    int polls = 0;
    while ((sr & 1) && polls < 1000 && SPIMaster_WriteThenRead(fd, &cmd, 1, &sr, 1) == 2)
        polls++;
    return polls;
}

static long spi_flash(void)
{
    uint8_t we = 0x06, prog[4 + 5] = {0x02, 0x00, 0x10, 0x00, 'h', 'e', 'l', 'l', 'o'};
    if (SPIMaster_WriteThenRead(spi_b, &we, 1, NULL, 0) != 1)
        return -1;
    SPIMaster_Transfer t[2];
    SPIMaster_InitTransfers(t, 2);
    t[0].flags = SPI_TransferFlags_Write, t[0].writeData = prog, t[0].length = 4;
    t[1].flags = SPI_TransferFlags_Write, t[1].writeData = prog + 4, t[1].length = 5;
    if (SPIMaster_TransferSequential(spi_b, t, 2) != 9)
        return -1;
    int polls = flash_wait(spi_b);
    uint8_t rd[4] = {0x03, 0x00, 0x10, 0x00}, back[6] = {0};
    long rc = SPIMaster_WriteThenRead(spi_b, rd, 4, back, 5);
    snprintf(detail, sizeof detail, "%s after %d status polls", (char *)back, polls);
    return rc;
}

static long i2c_accel(void)
{
    uint8_t ctrl[2] = {0x10, 0x40}, reg = 0x28, out[6];
    if (I2CMaster_Write(i2c, 0x6A, ctrl, 2) != 2)
        return -1;
    long rc = I2CMaster_WriteThenRead(i2c, 0x6A, &reg, 1, out, 6);
    int16_t v[3];
    for (int k = 0; k < 3; k++)
        v[k] = (int16_t)(out[2 * k] | out[2 * k + 1] << 8);
    snprintf(detail, sizeof detail, "%.0f %.0f %.0f mg", v[0] * 0.061, v[1] * 0.061, v[2] * 0.061);
    return rc;
}

static long run(const char *p)
{
    uint8_t b[8] = {0}, reg = 0x0F;
    PwmState st = {.period_nsec = 1000000, .dutyCycle_nsec = 250000, .polarity = PWM_Polarity_Normal, .enabled = true};
    SPIMaster_Config sc;
    SPIMaster_InitConfig(&sc);
    long rc;
    /* UART */
    if (!strcmp(p, "uart")) return uart = uart_with(115200, 4, 1);
    if (!strcmp(p, "uart_9600")) return uart = uart_with(9600, 4, 1);
    if (!strcmp(p, "uart_null")) return UART_Open(4, NULL);
    if (!strcmp(p, "uart_nomagic")) return uart_with(115200, 4, 0);
    if (!strcmp(p, "uart_badbaud")) return uart_with(12345, 4, 1);
    if (!strcmp(p, "uart_badid")) return uart_with(115200, 3, 1);
    if (!strcmp(p, "uart_isu1")) return uart_with(115200, 5, 1);
    if (!strcmp(p, "uart_again")) return uart_with(115200, 4, 1);
    if (!strcmp(p, "uart_loop")) {
        if (write(uart, "ping", 4) != 4)
            return -1;
        struct pollfd pf = {.fd = uart, .events = POLLIN};
        char got[8] = {0};
        size_t n = 0;
        while (n < 4 && poll(&pf, 1, 2000) == 1) {
            ssize_t r = read(uart, got + n, 4 - n);
            if (r > 0)
                n += (size_t)r;
        }
        snprintf(detail, sizeof detail, "%s", got);
        return n == 4 ? 0 : (errno = ETIMEDOUT, -1);
    }
    /* I2C */
    if (!strcmp(p, "i2c")) return i2c = I2CMaster_Open(2);
    if (!strcmp(p, "i2c_again")) return I2CMaster_Open(2);
    if (!strcmp(p, "i2c_isu3")) return I2CMaster_Open(3);
    if (!strcmp(p, "i2c_badid")) return I2CMaster_Open(9);
    if (!strcmp(p, "i2c_isu1")) return I2CMaster_Open(1);
    if (!strcmp(p, "i2c_speed")) return I2CMaster_SetBusSpeed(i2c, I2C_BUS_SPEED_FAST);
    if (!strcmp(p, "i2c_badspeed")) return I2CMaster_SetBusSpeed(i2c, 12345);
    if (!strcmp(p, "i2c_timeout0")) return I2CMaster_SetTimeout(i2c, 0);
    if (!strcmp(p, "i2c_whoami")) {
        rc = I2CMaster_WriteThenRead(i2c, 0x6A, &reg, 1, b, 1);
        snprintf(detail, sizeof detail, "%ld 0x%02X", rc, b[0]);
        return rc;
    }
    if (!strcmp(p, "i2c_writeread")) {
        rc = I2CMaster_Write(i2c, 0x6A, &reg, 1);
        if (rc == 1)
            rc = I2CMaster_Read(i2c, 0x6A, b, 1);
        snprintf(detail, sizeof detail, "0x%02X", b[0]);
        return rc;
    }
    if (!strcmp(p, "i2c_plain")) {
        if (I2CMaster_SetDefaultTargetAddress(i2c, 0x6A) < 0 || write(i2c, &reg, 1) != 1)
            return -1;
        rc = read(i2c, b, 1);
        snprintf(detail, sizeof detail, "0x%02X", b[0]);
        return rc;
    }
    if (!strcmp(p, "i2c_accel")) return i2c_accel();
    if (!strcmp(p, "i2c_absent")) return I2CMaster_Write(i2c, 0x50, &reg, 1);
    if (!strcmp(p, "i2c_probe")) return I2CMaster_Write(i2c, 0x6A, NULL, 0);
    if (!strcmp(p, "i2c_badaddr")) return I2CMaster_Write(i2c, 0x80, &reg, 1);
    if (!strcmp(p, "i2c_null")) return I2CMaster_WriteThenRead(i2c, 0x6A, NULL, 1, b, 1);
    if (!strcmp(p, "i2c_toolong")) {
        static uint8_t big[4097];
        return I2CMaster_Write(i2c, 0x6A, big, sizeof big);
    }
    if (!strcmp(p, "i2c_badfd")) return I2CMaster_SetBusSpeed(999, I2C_BUS_SPEED_STANDARD);
    if (!strcmp(p, "i2c_on_adc")) return I2CMaster_SetBusSpeed(adc, I2C_BUS_SPEED_STANDARD);
    if (!strcmp(p, "i2c_stuck")) {
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (I2CMaster_SetTimeout(i2c, 150) < 0)
            return -1;
        rc = I2CMaster_WriteThenRead(i2c, 0x6A, &reg, 1, b, 1);
        int saved = errno;
        snprintf(detail, sizeof detail, "after %ld ms", ms_since(&t0));
        printf("PROBE i2c_stuck_ms %ld\n", ms_since(&t0));
        errno = saved;
        return rc;
    }
    /* SPI */
    if (!strcmp(p, "spi_a")) return spi_a = SPIMaster_Open(1, -1, &sc);
    if (!strcmp(p, "spi_b")) return spi_b = SPIMaster_Open(1, -2, &sc);
    if (!strcmp(p, "spi_again")) return SPIMaster_Open(1, -1, &sc);
    if (!strcmp(p, "spi_badcs")) return SPIMaster_Open(1, -3, &sc);
    if (!strcmp(p, "spi_isu3")) return SPIMaster_Open(3, -1, &sc);
    if (!strcmp(p, "spi_null")) return SPIMaster_Open(1, -1, NULL);
    if (!strcmp(p, "spi_nomagic")) {
        SPIMaster_Config raw = {.csPolarity = SPI_ChipSelectPolarity_ActiveLow};
        return SPIMaster_Open(1, -1, &raw);
    }
    if (!strcmp(p, "spi_mode")) return SPIMaster_SetMode(spi_a, SPI_Mode_3);
    if (!strcmp(p, "spi_badmode")) return SPIMaster_SetMode(spi_a, SPI_Mode_Invalid);
    if (!strcmp(p, "spi_order")) return SPIMaster_SetBitOrder(spi_a, SPI_BitOrder_MsbFirst);
    if (!strcmp(p, "spi_badorder")) return SPIMaster_SetBitOrder(spi_a, (SPI_BitOrder)7);
    if (!strcmp(p, "spi_speed")) return SPIMaster_SetBusSpeed(spi_a, 4000000);
    if (!strcmp(p, "spi_whoami")) {
        uint8_t cmd = 0x80 | 0x0F;
        rc = SPIMaster_WriteThenRead(spi_a, &cmd, 1, b, 1);
        snprintf(detail, sizeof detail, "%ld 0x%02X", rc, b[0]);
        return rc;
    }
    if (!strcmp(p, "spi_jedec")) {
        uint8_t cmd = 0x9F;
        rc = SPIMaster_WriteThenRead(spi_b, &cmd, 1, b, 3);
        snprintf(detail, sizeof detail, "%02X %02X %02X", b[0], b[1], b[2]);
        return rc;
    }
    if (!strcmp(p, "spi_flash")) return spi_flash();
    if (!strcmp(p, "spi_duplex")) {
        SPIMaster_Transfer t;
        SPIMaster_InitTransfers(&t, 1);
        t.flags = SPI_TransferFlags_Read | SPI_TransferFlags_Write, t.writeData = b, t.readData = b, t.length = 1;
        return SPIMaster_TransferSequential(spi_a, &t, 1);
    }
    if (!strcmp(p, "spi_toolong")) {
        static uint8_t big[4097];
        return SPIMaster_WriteThenRead(spi_b, big, sizeof big, NULL, 0);
    }
    if (!strcmp(p, "spi_noinit")) {
        SPIMaster_Transfer t = {.flags = SPI_TransferFlags_Read, .readData = b, .length = 1};
        return SPIMaster_TransferSequential(spi_a, &t, 1);
    }
    if (!strcmp(p, "spi_nullbuf")) {
        SPIMaster_Transfer t;
        SPIMaster_InitTransfers(&t, 1);
        t.flags = SPI_TransferFlags_Read, t.length = 1;
        return SPIMaster_TransferSequential(spi_a, &t, 1);
    }
    /* ADC */
    if (!strcmp(p, "adc")) return adc = ADC_Open(0);
    if (!strcmp(p, "adc_again")) return ADC_Open(0);
    if (!strcmp(p, "adc_ctl1")) return ADC_Open(1);
    if (!strcmp(p, "adc_bits")) {
        rc = ADC_GetSampleBitCount(adc, 0);
        snprintf(detail, sizeof detail, "%ld", rc);
        return rc;
    }
    if (!strcmp(p, "adc_badch")) return ADC_GetSampleBitCount(adc, 8);
    if (!strcmp(p, "adc_ref")) return ADC_SetReferenceVoltage(adc, 1, 2.5f);
    if (!strcmp(p, "adc_badref")) return ADC_SetReferenceVoltage(adc, 1, 3.3f);
    if (!strcmp(p, "adc_poll")) {
        uint32_t v = 0;
        rc = ADC_Poll(adc, 1, &v);
        snprintf(detail, sizeof detail, "%u", v);
        return rc;
    }
    if (!strcmp(p, "adc_null")) return ADC_Poll(adc, 1, NULL);
    /* PWM */
    if (!strcmp(p, "pwm")) return pwm = PWM_Open(2);
    if (!strcmp(p, "pwm_again")) return PWM_Open(2);
    if (!strcmp(p, "pwm_ctl0")) return PWM_Open(0);
    if (!strcmp(p, "pwm_apply")) return PWM_Apply(pwm, 1, &st);
    if (!strcmp(p, "pwm_badch")) return PWM_Apply(pwm, 4, &st);
    if (!strcmp(p, "pwm_null")) return PWM_Apply(pwm, 1, NULL);
    if (!strcmp(p, "pwm_badduty")) {
        st.dutyCycle_nsec = 2000000;
        return PWM_Apply(pwm, 1, &st);
    }
    if (!strcmp(p, "pwm_badpolarity")) {
        st.polarity = 7;
        return PWM_Apply(pwm, 1, &st);
    }
    if (!strcmp(p, "pwm_on_i2c")) return PWM_Apply(i2c, 1, &st);
    if (!strcmp(p, "close_all")) {
        int fds[] = {uart, i2c, spi_a, spi_b, adc, pwm};
        for (size_t k = 0; k < sizeof fds / sizeof fds[0]; k++)
            if (fds[k] >= 0)
                close(fds[k]);
        uart = i2c = spi_a = spi_b = adc = pwm = -1;
        usleep(100000); /* let the board see the handles go */
        return 0;
    }
    errno = ENOSYS;
    return -1;
}

int main(int argc, char **argv)
{
    struct sigaction act = {.sa_handler = on_term};
    sigaction(SIGTERM, &act, NULL);
    bool echo = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "uartecho")) {
            echo = true;
            continue;
        }
        report(argv[i], run(argv[i]));
    }
    printf("PROBE done\n");
    fflush(stdout);
    while (!terminated) {
        if (!echo || uart < 0) {
            pause();
            continue;
        }
        struct pollfd pf = {.fd = uart, .events = POLLIN};
        if (poll(&pf, 1, -1) != 1)
            continue;
        char buf[256];
        ssize_t n = read(uart, buf, sizeof buf);
        for (ssize_t k = 0; k < n; k++)
            buf[k] = (char)toupper((unsigned char)buf[k]);
        if (n > 0 && write(uart, buf, (size_t)n) != n)
            break;
    }
    return 0;
}

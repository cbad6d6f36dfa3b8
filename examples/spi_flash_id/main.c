/* SPDX-License-Identifier: MIT */
/* SpiFlashId — an OpenSphere example high-level app (our own code).
 *
 * Opens the SPI master on ISU1 (header 4) with chip select B, where the simulated mt3620_rdb
 * board has a W25Q128JV NOR flash, reads its JEDEC ID (instruction 9Fh) and its status register
 * (05h), and logs them. Then waits for SIGTERM. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <applibs/log.h>
#include <applibs/spi.h>

#include <hw/mt3620_rdb.h>

static volatile sig_atomic_t stop;
static void on_sigterm(int signal) { stop = 1; }

int main(void)
{
    struct sigaction act = {.sa_handler = on_sigterm};
    sigaction(SIGTERM, &act, NULL);
    SPIMaster_Config config;
    SPIMaster_InitConfig(&config);
    config.csPolarity = SPI_ChipSelectPolarity_ActiveLow;
    int fd = SPIMaster_Open(MT3620_RDB_HEADER4_ISU1_SPI, MT3620_SPI_CS_B, &config);
    if (fd < 0 || SPIMaster_SetBusSpeed(fd, 8000000) < 0 || SPIMaster_SetMode(fd, SPI_Mode_0) < 0) {
        Log_Debug("ERROR: cannot set up the SPI master: %s (%d)\n", strerror(errno), errno);
        return 2;
    }
    const uint8_t jedec = 0x9F, status = 0x05;
    uint8_t id[3], sr = 0;
    if (SPIMaster_WriteThenRead(fd, &jedec, 1, id, sizeof id) != 4 || SPIMaster_WriteThenRead(fd, &status, 1, &sr, 1) != 2) {
        Log_Debug("ERROR: SPI transfer: %s (%d)\n", strerror(errno), errno);
        return 3;
    }
    unsigned capacity_mib = id[2] >= 20 && id[2] <= 27 ? (1u << id[2]) >> 20 : 0;
    Log_Debug("JEDEC ID: %02X %02X %02X (%s, %u MiB); status register 1: %02X\n", id[0], id[1], id[2],
              id[0] == 0xEF ? "Winbond" : "unknown maker", capacity_mib, sr);
    while (!stop)
        pause();
    close(fd);
    return 0;
}

/* SPDX-License-Identifier: MIT */
/* commands.h — the command groups of `sphere`, one file each (cmd_*.c), and shared helpers. */
#ifndef OPENSPHERE_CLI_COMMANDS_H
#define OPENSPHERE_CLI_COMMANDS_H

#include "cli.h"
#include "diag.h"
#include "hwdef.h"

extern const struct cli_command cmd_app_manifest;
extern const struct cli_command cmd_hardware_definition;
extern const struct cli_command cmd_image_package;
extern const struct cli_command cmd_keys;
extern const struct cli_command cmd_sim;
extern const struct cli_command cmd_device;
extern const struct cli_command cmd_sim_gpio;
extern const struct cli_command cmd_sim_press;
extern const struct cli_command cmd_sim_sysevent;
extern const struct cli_command cmd_sim_uart;   /* cmd_sim_board.c: uart, adc, accel, pwm, device, watch */
extern const struct cli_command cmd_sim_adc;
extern const struct cli_command cmd_sim_accel;
extern const struct cli_command cmd_sim_pwm;
extern const struct cli_command cmd_sim_device;
extern const struct cli_command cmd_sim_watch;
extern const struct cli_command cmd_sim_power_cut;
extern const struct cli_command cmd_sim_hosts;      /* cmd_network.c */
extern const struct cli_command cmd_device_network; /* cmd_network.c */
extern const struct cli_command cmd_device_wifi;    /* cmd_wifi.c: sphere device wifi … */
extern const struct cli_command cmd_device_network_show_diagnostics; /* cmd_wifi.c */
/* cmd_netcfg.c: the device's network configuration (docs/netconfig.md) */
extern const struct cli_command cmd_device_network_show_status, cmd_device_network_list_interfaces,
    cmd_device_network_update_interface, cmd_device_network_enable, cmd_device_network_disable,
    cmd_device_network_proxy, cmd_device_time;
extern const struct cli_command cmd_sim_wifi;       /* cmd_wifi.c: the simulated access points */
extern const struct cli_command cmd_device_certificate; /* cmd_certificate.c */
/* Checks board file FILE and copies it to <state_dir>/board.json. Prints and returns non-zero on failure. */
int cli_sim_store_board(const char *file, const char *state_dir);
extern const struct cli_command cmd_flashfs;
extern const struct cli_command cmd_rtcore;
extern const struct cli_command cmd_cloud;             /* cmd_cloud.c */
extern const struct cli_command cmd_login;             /* cmd_cloud.c */
extern const struct cli_command cmd_product;           /* cmd_product.c */
extern const struct cli_command cmd_device_group;      /* cmd_device_group.c */
extern const struct cli_command cmd_image;             /* cmd_image.c */
extern const struct cli_command cmd_ota;               /* cmd_ota.c */
extern const struct cli_command cmd_device_with_cloud; /* cmd_device_cloud.c: cmd_device + cloud commands */
extern const struct cli_command cmd_cloud_init;        /* cmd_cloud_data.c */
extern const struct cli_command cmd_cloud_clean;       /* cmd_cloud_data.c */
extern const struct cli_command cmd_device_twin;       /* cmd_device_twin.c */
extern const struct cli_command cmd_user;              /* cmd_access.c */
extern const struct cli_command cmd_token;             /* cmd_access.c */
extern const struct cli_command cmd_device_delete;     /* cmd_access.c */
extern const struct cli_command cmd_iot;               /* cmd_iot.c */
extern const struct cli_command cmd_mcu_image;         /* cmd_mcu.c */
extern const struct cli_command cmd_sim_mcu;           /* cmd_mcu.c */
extern const struct cli_command cmd_test;              /* cmd_test.c: sphere test run (docs/scenarios.md) */
extern const struct cli_command cmd_sim_web;           /* cmd_sim_web.c: the board in a browser */
extern const struct cli_command cmd_rollout;           /* cmd_rollout.c */
extern const struct cli_command cmd_sim_fleet;         /* cmd_sim_fleet.c */
extern const struct cli_command cmd_device_explain_update; /* cmd_rollout.c */
extern const struct cli_command cmd_device_update_now;     /* cmd_rollout.c */
/* Starts the device's attached MCU, if any, against its UART's new host PTY (after sim start). */
int cli_sim_mcu_autostart(const char *device, const char *dev_dir);

/* Prints every diagnostic to stderr (sorted), then a summary line naming `file`.
 * Returns CLI_EXIT_FAILED if any was an error, else CLI_EXIT_OK. */
int cli_report_diags(struct diag_list *diags, const char *file);

/* Hardware definitions as the packaging commands take them: --hardware-definitions DIR...
 * (search folders) and the SDK's own folder. */
struct cli_hwdef_context {
    const char *const *dirs;
    size_t dir_count;
    char *sdk_dir; /* <SDK>/HardwareDefinitions, or NULL if no SDK was found (owned) */
};
void cli_hwdef_context_init(struct cli_hwdef_context *ctx, const struct cli_invocation *inv);
void cli_hwdef_context_free(struct cli_hwdef_context *ctx);
/* Finds a --target-definition-filename: as given if it exists, else in each search folder,
 * else in the SDK folder. Returns a malloc'd path or NULL. */
char *cli_find_definition(const struct cli_hwdef_context *ctx, const char *name);
/* Loads a definition; diagnostics go to `diags`. */
int cli_load_definition(const struct cli_hwdef_context *ctx, const char *path, struct diag_list *diags,
                        struct hwdef_set **out);

/* The definitions a manifest is checked against: the target definition (when named) or else
 * the SDK's mt3620.json as the chip. Reports problems; returns a CLI exit code. */
int cli_load_manifest_definitions(struct cli_hwdef_context *hw, const char *target_name, struct diag_list *diags,
                                  struct hwdef_set **target, struct hwdef_set **chip);

/* The path of another program installed beside this one (malloc'd), or NULL. */
char *cli_sibling_exe(const char *name);

#endif

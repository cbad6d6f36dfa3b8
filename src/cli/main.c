/* SPDX-License-Identifier: MIT */
/* main.c — `sphere`, the OpenSphere command line (shaped like azsphere). */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct cli_command *const top_level[] = {
    &cmd_app_manifest,
    &cmd_hardware_definition,
    &cmd_flashfs,
    &cmd_image_package,
    &cmd_keys,
    &cmd_sim,
    &cmd_mcu_image,
    &cmd_device_with_cloud, /* cmd_device plus the cloud's device commands */
    &cmd_rtcore,
    &cmd_login,
    &cmd_cloud,
    &cmd_product,
    &cmd_device_group,
    &cmd_image,
    &cmd_ota,
    &cmd_test,
    &cmd_user,
    &cmd_token,
    &cmd_rollout,
    &cmd_iot,
    NULL,
};

static const struct cli_command root = {
    .name = "sphere",
    .summary = "OpenSphere: build, check and run Azure Sphere applications without the hardware.",
    .subcommands = top_level,
};

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("sphere %s\n", OPENSPHERE_VERSION);
        return CLI_EXIT_OK;
    }
    return cli_main(&root, argc, argv);
}

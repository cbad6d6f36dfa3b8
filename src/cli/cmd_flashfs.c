/* SPDX-License-Identifier: MIT */
/* cmd_flashfs.c — `sphere flashfs format|ls|cat|put|fsck`: the flash file system (ffs.h) on an
 * image file of the W25Q128JV model (w25q.h). The image is the raw flash array; its size is
 * the flash size. The block size is read from the image's superblock (64 KiB if none). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "commands.h"
#include "error.h"
#include "ffs.h"
#include "hostio.h"
#include "json.h"
#include "strbuf.h"
#include "w25q.h"
#include "w25q_bd.h"

struct image {
    struct w25q *dev;
    struct w25q_bd wbd;
};

static uint32_t superblock_block_size(const uint8_t *a, uint32_t capacity)
{
    static const uint32_t sizes[] = {4096, 32768, 65536};
    for (size_t i = 0; i < 3; i++)
        for (uint32_t off = 0; off <= sizes[i] / 2 && sizes[i] <= capacity; off += sizes[i] / 2) {
            const uint8_t *p = a + off;
            uint32_t bs = bytes_le32(p + 12);
            if (memcmp(p, "OSFFS-SB", 8) == 0 && bs == sizes[i])
                return bs;
        }
    return 65536;
}

/* Opens the image file; capacity 0 keeps the file's size (creating a 16 MiB image if new). */
static int image_open(struct image *img, const char *path, uint32_t capacity, uint32_t block_size)
{
    struct w25q_config cfg = {.capacity = capacity, .path = path, .seed = 1};
    int err = w25q_open(&cfg, &img->dev);
    if (err)
        return err;
    if (!block_size) /* from superblock copy A at 0 or copy B at block_size / 2 */
        block_size = superblock_block_size(w25q_array(img->dev), w25q_capacity(img->dev));
    err = w25q_bd_init(&img->wbd, img->dev, block_size);
    if (err) {
        w25q_close(img->dev);
        img->dev = NULL;
    }
    return err;
}

static int image_close(struct image *img)
{
    int err = w25q_close(img->dev);
    img->dev = NULL;
    return err;
}

/* Opens an existing image; reports failures. Returns CLI_EXIT_OK or CLI_EXIT_FAILED. */
static int open_existing(struct image *img, const char *path)
{
    if (access(path, F_OK) != 0)
        return cli_error("%s: no such image file", path);
    int err = image_open(img, path, 0, 0);
    if (err == -EINVAL)
        return cli_error("%s: not a flash image: its size must be a power of two from 64 KiB to 16 MiB", path);
    if (err)
        return cli_error("%s: cannot open the image: %s", path, os_strerror(err));
    return CLI_EXIT_OK;
}

/* Opens and mounts; reports failures. Returns CLI_EXIT_OK or CLI_EXIT_FAILED. */
static int mount_image(const struct cli_invocation *inv, struct image *img, struct ffs **fs)
{
    const char *path = cli_value(inv, "image");
    int err = open_existing(img, path);
    if (err)
        return err;
    err = ffs_mount(&img->wbd.bd, fs);
    if (err) {
        image_close(img);
        return cli_error("%s: cannot mount: %s; run 'sphere flashfs fsck --image %s' for details", path,
                         os_strerror(err), path);
    }
    return CLI_EXIT_OK;
}

static int parse_size(const char *text, uint32_t *out)
{
    char *end = NULL;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text)
        return -EINVAL;
    if (*end == 'K' || *end == 'k')
        v *= 1024, end++;
    else if (*end == 'M' || *end == 'm')
        v *= 1024 * 1024, end++;
    if (*end || v == 0 || v > 0xFFFFFFFFull)
        return -EINVAL;
    *out = (uint32_t)v;
    return 0;
}

static int run_format(const struct cli_invocation *inv)
{
    const char *path = cli_value(inv, "image");
    uint32_t size = W25Q128JV_CAPACITY, bs = 65536;
    if (cli_value(inv, "size") && parse_size(cli_value(inv, "size"), &size) != 0)
        return cli_error("--size %s: expected a number of bytes, optionally with K or M", cli_value(inv, "size"));
    if (cli_value(inv, "block-size") && parse_size(cli_value(inv, "block-size"), &bs) != 0)
        return cli_error("--block-size %s: expected 4K, 32K or 64K", cli_value(inv, "block-size"));
    if (unlink(path) != 0 && errno != ENOENT)
        return cli_error("%s: cannot replace the image: %s", path, os_strerror(-errno));
    struct image img;
    int err = image_open(&img, path, size, bs);
    if (err)
        return cli_error("%s: cannot create a %u-byte image with %u-byte blocks: %s (sizes: a power of two from "
                         "64K to 16M; block sizes: 4K, 32K, 64K)",
                         path, size, bs, os_strerror(err));
    uint64_t volume_id = 0;
    while (!err && !volume_id) /* bytes_random (checked): the one random source */
        err = bytes_random(&volume_id, sizeof volume_id);
    if (err) {
        image_close(&img);
        return cli_error("%s: no random bytes for the volume ID: %s", path, os_strerror(err));
    }
    err = ffs_format(&img.wbd.bd, volume_id);
    int cerr = image_close(&img);
    if (err == -EINVAL)
        return cli_error("%s: a %u-byte flash cannot be formatted with %u-byte blocks (at most block_size/16 "
                         "blocks)",
                         path, size, bs);
    if (err || cerr)
        return cli_error("%s: format failed: %s", path, os_strerror(err ? err : cerr));
    printf("Formatted %s: %u bytes, %u blocks of %u bytes.\n", path, size, size / bs, bs);
    return CLI_EXIT_OK;
}

struct listing {
    struct cli_table table;
    struct json_value *array;
};

static int list_entry(void *ctx, const struct ffs_dirent *e)
{
    struct listing *l = ctx;
    char size[32];
    snprintf(size, sizeof size, "%u", e->size);
    const char *type = e->type == FFS_TYPE_DIR ? "dir" : "file";
    if (l->array) {
        struct json_value *o = json_new_object();
        json_object_append(o, "name", json_new_string(e->name));
        json_object_append(o, "type", json_new_string(type));
        json_object_append(o, "size", json_new_int(e->size));
        json_array_append(l->array, o);
    } else {
        cli_table_row(&l->table, type, size, e->name);
    }
    return 0;
}

static int run_ls(const struct cli_invocation *inv)
{
    struct image img;
    struct ffs *fs = NULL;
    int rc = mount_image(inv, &img, &fs);
    if (rc)
        return rc;
    const char *dir = inv->args[0] ? inv->args[0] : "/";
    struct listing l = {0};
    cli_table_init(&l.table, 3);
    cli_table_row(&l.table, "Type", "Size", "Name");
    if (inv->output == CLI_OUTPUT_JSON)
        l.array = json_new_array();
    int err = ffs_list(fs, dir, list_entry, &l);
    if (err) {
        rc = cli_error("%s: %s", dir, os_strerror(err));
    } else if (l.array) {
        struct strbuf out = {0};
        if (json_write(l.array, JSON_PRETTY, &out) == 0)
            printf("%s\n", strbuf_str(&out));
        strbuf_free(&out);
    } else {
        cli_table_print(&l.table, stdout);
    }
    json_free(l.array);
    cli_table_free(&l.table);
    ffs_unmount(fs);
    image_close(&img);
    return rc;
}

static int run_cat(const struct cli_invocation *inv)
{
    struct image img;
    struct ffs *fs = NULL;
    int rc = mount_image(inv, &img, &fs);
    if (rc)
        return rc;
    struct ffs_file *f = NULL;
    int err = ffs_open(fs, inv->args[0], FFS_O_RDONLY, &f);
    static uint8_t buf[65536];
    int n = 0;
    while (!err && (n = ffs_read(f, buf, sizeof buf)) > 0)
        if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
            err = -EIO;
    if (!err && n < 0)
        err = n;
    if (err)
        rc = cli_error("%s: %s", inv->args[0], os_strerror(err));
    ffs_close(f);
    ffs_unmount(fs);
    image_close(&img);
    return rc;
}

static int run_put(const struct cli_invocation *inv)
{
    const char *src = cli_value(inv, "file");
    char *data = NULL;
    size_t len = 0;
    int err = hostio_read_file(src, &data, &len);
    if (err)
        return cli_error("%s: %s", src, os_strerror(err));
    struct image img;
    struct ffs *fs = NULL;
    int rc = mount_image(inv, &img, &fs);
    if (rc) {
        free(data);
        return rc;
    }
    struct ffs_file *f = NULL;
    err = ffs_open(fs, inv->args[0], FFS_O_WRONLY | FFS_O_CREAT | FFS_O_TRUNC, &f);
    if (!err && len) {
        int w = ffs_write(f, data, len);
        err = w < 0 ? w : 0;
    }
    if (f) {
        int cerr = ffs_close(f);
        err = err ? err : cerr;
    }
    if (err)
        rc = cli_error("%s: cannot write: %s", inv->args[0], os_strerror(err));
    else
        printf("Wrote %zu bytes to %s.\n", len, inv->args[0]);
    int uerr = ffs_unmount(fs);
    int ierr = image_close(&img);
    if (!rc && (uerr || ierr))
        rc = cli_error("%s: %s", cli_value(inv, "image"), os_strerror(uerr ? uerr : ierr));
    free(data);
    return rc;
}

struct findings {
    struct json_value *array;
    int problems;
};

static void report(void *ctx, bool problem, const char *line)
{
    struct findings *f = ctx;
    f->problems += problem;
    if (f->array) {
        struct json_value *o = json_new_object();
        json_object_append(o, "problem", json_new_bool(problem));
        json_object_append(o, "text", json_new_string(line));
        json_array_append(f->array, o);
    } else {
        printf("%s %s\n", problem ? "DAMAGE" : "ok    ", line);
    }
}

static int run_fsck(const struct cli_invocation *inv)
{
    const char *path = cli_value(inv, "image");
    struct image img;
    int err = open_existing(&img, path);
    if (err)
        return err;
    struct findings f = {0};
    if (inv->output == CLI_OUTPUT_JSON)
        f.array = json_new_array();
    err = ffs_check(&img.wbd.bd, report, &f);
    image_close(&img);
    if (f.array) {
        struct json_value *o = json_new_object();
        json_object_append(o, "image", json_new_string(path));
        json_object_append(o, "clean", json_new_bool(err == 0));
        json_object_append(o, "result", json_new_string(os_strerror(err)));
        json_object_append(o, "findings", f.array);
        struct strbuf out = {0};
        if (json_write(o, JSON_PRETTY, &out) == 0)
            printf("%s\n", strbuf_str(&out));
        strbuf_free(&out);
        json_free(o);
    }
    if (err)
        return cli_error("%s is damaged or not a flash file system (%s): %d problem%s found", path,
                         os_strerror(err), f.problems, f.problems == 1 ? "" : "s");
    if (!f.array)
        printf("%s: the file system is consistent.\n", path);
    return CLI_EXIT_OK;
}

static const struct cli_option image_only[] = {
    {"image", 0, "FILE", false, true, "The flash image file (the raw W25Q128JV array)."},
    {NULL, 0, NULL, false, false, NULL},
};

static const struct cli_option format_options[] = {
    {"image", 0, "FILE", false, true, "The flash image file to create (replaced if it exists)."},
    {"size", 0, "BYTES", false, false, "Flash size: a power of two from 64K to 16M (default 16M, a W25Q128JV)."},
    {"block-size", 0, "BYTES", false, false, "Erase block used by the file system: 4K, 32K or 64K (default 64K)."},
    {NULL, 0, NULL, false, false, NULL},
};

static const struct cli_option put_options[] = {
    {"image", 0, "FILE", false, true, "The flash image file."},
    {"file", 0, "HOSTFILE", false, true, "The host file to copy in."},
    {NULL, 0, NULL, false, false, NULL},
};

static const struct cli_command format_cmd = {
    .name = "format",
    .summary = "Create an image file holding an empty flash file system.",
    .options = format_options,
    .run = run_format,
};

static const struct cli_command ls_cmd = {
    .name = "ls",
    .summary = "List a directory of the file system in an image.",
    .options = image_only,
    .positionals = CLI_POSITIONALS({"PATH", true}),
    .prints_data = true,
    .run = run_ls,
};

static const struct cli_command cat_cmd = {
    .name = "cat",
    .summary = "Write a file from the image to standard output.",
    .options = image_only,
    .positionals = CLI_POSITIONALS({"PATH", false}),
    .run = run_cat,
};

static const struct cli_command put_cmd = {
    .name = "put",
    .summary = "Copy a host file into the image at PATH (replacing it atomically).",
    .options = put_options,
    .positionals = CLI_POSITIONALS({"PATH", false}),
    .run = run_put,
};

static const struct cli_command fsck_cmd = {
    .name = "fsck",
    .summary = "Check an image and explain any damage (exit 1 if damaged).",
    .options = image_only,
    .prints_data = true,
    .details = "Checks both superblock copies, every metadata checkpoint, the commit log, the directory tree "
               "and the CRC of every data block. Commits interrupted by a power cut are reported as "
               "information, not damage.",
    .run = run_fsck,
};

static const struct cli_command *const flashfs_commands[] = {&format_cmd, &ls_cmd, &cat_cmd, &put_cmd, &fsck_cmd,
                                                             NULL};

const struct cli_command cmd_flashfs = {
    .name = "flashfs",
    .summary = "Work with flash file system images (the OTA staging store on the W25Q128JV).",
    .subcommands = flashfs_commands,
};

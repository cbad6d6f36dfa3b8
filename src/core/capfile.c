/* SPDX-License-Identifier: MIT */
/* capfile.c — device capability files: build, parse, verify (see capfile.h). */
#include "capfile.h"

#include "bytes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char fw_config_component[] = "4128b5d8-abc2-4155-9a33-8a1f31ed67ec";

int capfile_build(const uint8_t device_id[DEVICE_ID_BYTES], const uint8_t *caps, size_t cap_count,
                  const struct signing_key *security_service, uint8_t **out, size_t *out_len)
{
    if (cap_count > CAPFILE_MAX_CAPS)
        return -EINVAL;
    struct imgpkg_metadata meta = {.image_type = IMGPKG_TYPE_FIRMWARE_CONFIG, .signing_type = IMGPKG_SIGNING_ECDSA256};
    guid_parse(fw_config_component, &meta.component_id);
    int err = bytes_random(meta.image_id.bytes, sizeof meta.image_id.bytes);
    if (err)
        return err;
    strcpy(meta.name, "fw_config");
    signing_key_thumbprint(security_service, meta.thumbprint);
    uint8_t *buf = calloc(1, CAPFILE_BODY_SIZE + 256 + IMGPKG_SIGNATURE_SIZE);
    if (!buf)
        return -ENOMEM;
    bytes_put_le32(buf, CAPFILE_MAGIC);
    bytes_put_le32(buf + 4, 1);
    bytes_put_le32(buf + 8, 0xCC);
    memcpy(buf + 12, device_id, DEVICE_ID_BYTES);
    if (cap_count) /* an empty capability set may come as NULL */
        memcpy(buf + 12 + DEVICE_ID_BYTES, caps, cap_count);
    size_t len = CAPFILE_BODY_SIZE + imgpkg_write_metadata(buf + CAPFILE_BODY_SIZE, &meta);
    err = signing_sign(security_service, buf, len, buf + len);
    if (err) {
        free(buf);
        return err;
    }
    *out = buf;
    *out_len = len + IMGPKG_SIGNATURE_SIZE;
    return 0;
}

int capfile_parse(const uint8_t *data, size_t len, const struct keystore *trusted,
                  const uint8_t device_id[DEVICE_ID_BYTES], struct capfile *out, struct imgpkg_error *err)
{
    memset(out, 0, sizeof *out);
    size_t body = 0;
    int e = imgpkg_parse_metadata(data, len, &out->meta, &body, err);
    if (e)
        return e;
    struct guid fw;
    guid_parse(fw_config_component, &fw);
    if (body != CAPFILE_BODY_SIZE || bytes_le32(data) != CAPFILE_MAGIC || bytes_le32(data + 4) != 1 ||
        out->meta.image_type != IMGPKG_TYPE_FIRMWARE_CONFIG || !guid_equal(&out->meta.component_id, &fw)) {
        if (err) {
            err->code = "not-a-capability-file";
            err->offset = 0;
            snprintf(err->message, sizeof err->message, "not a capability file (no 0x5CFD5CFD body of %u bytes "
                     "with FirmwareConfig metadata)", CAPFILE_BODY_SIZE);
        }
        return -EINVAL;
    }
    struct keystore_match match;
    e = keystore_verify(trusted, out->meta.thumbprint, data, len - IMGPKG_SIGNATURE_SIZE,
                        data + len - IMGPKG_SIGNATURE_SIZE, &match);
    if (e)
        return e;
    memcpy(out->device_id, data + 12, DEVICE_ID_BYTES);
    for (size_t i = 0; i < CAPFILE_MAX_CAPS; i++)
        if (data[12 + DEVICE_ID_BYTES + i])
            out->caps[out->cap_count++] = data[12 + DEVICE_ID_BYTES + i];
    if (device_id && memcmp(device_id, out->device_id, DEVICE_ID_BYTES) != 0)
        return -EXDEV;
    return 0;
}

bool capfile_has(const struct capfile *cf, enum device_capability cap)
{
    for (size_t i = 0; i < cf->cap_count; i++)
        if (cf->caps[i] == cap)
            return true;
    return false;
}

const char *capfile_capability_name(uint8_t value)
{
    static const char *const names[] = {
        "NoCapability", "AllowTestKeySignedSoftware", "EnablePlutonDebugging", "EnableA7Debugging",
        "EnableN9Debugging", "EnableA7GdbDebugging", "EnableIoM41Debugging", "EnableIoM42Debugging",
        "EnableA7Console", "EnableSltLoader", "EnableSystemSoftwareDevelopment", "EnableAppDevelopment",
        "EnableRfTestMode", "EnableFieldServicing",
    };
    return value < sizeof names / sizeof names[0] ? names[value] : NULL;
}

int device_id_parse(const char *hex, uint8_t out[DEVICE_ID_BYTES])
{
    if (strlen(hex) != DEVICE_ID_HEX)
        return -EINVAL;
    for (size_t i = 0; i < DEVICE_ID_BYTES; i++) {
        unsigned v;
        char pair[3] = {hex[2 * i], hex[2 * i + 1], 0};
        char *end;
        v = (unsigned)strtoul(pair, &end, 16);
        if (*end || !pair[0] || !pair[1] || pair[0] == '+' || pair[0] == '-' || pair[0] == ' ')
            return -EINVAL;
        out[i] = (uint8_t)v;
    }
    return 0;
}

void device_id_format(const uint8_t id[DEVICE_ID_BYTES], char out[DEVICE_ID_HEX + 1])
{
    for (size_t i = 0; i < DEVICE_ID_BYTES; i++)
        snprintf(out + 2 * i, 3, "%02X", id[i]);
}

/* SPDX-License-Identifier: MIT */
/* cmd_image_package.c — `sphere image-package pack-application | show`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiset.h"
#include "commands.h"
#include "error.h"
#include "hostio.h"
#include "imgpkg.h"
#include "json.h"
#include "manifest.h"
#include "path.h"
#include "signing.h"

/* ---- keys --------------------------------------------------------------------------------- */

/* Reads a PEM pair; on failure reports and returns non-zero. */
static int load_signing_key(const char *key_path, const char *cert_path, struct signing_key **key)
{
    char *k = NULL, *c = NULL;
    size_t kl = 0, cl = 0;
    int err = hostio_read_file(key_path, &k, &kl);
    if (err) {
        free(k);
        return cli_error("cannot read the signing key %s: %s", key_path, os_strerror(err));
    }
    err = hostio_read_file(cert_path, &c, &cl);
    if (err) {
        free(k);
        return cli_error("cannot read the signing certificate %s: %s", cert_path, os_strerror(err));
    }
    err = signing_key_load(k, kl, c, cl, key);
    free(k);
    free(c);
    if (err)
        return cli_error("%s and %s are not a matching ECDSA P-256 key and certificate", key_path, cert_path);
    return CLI_EXIT_OK;
}

/* "<SDK>/Keys/<file>", malloc'd, or NULL when no SDK was found. */
static char *sdk_file(const char *file)
{
    char *sdk = hostio_sdk_dir();
    char *keys = sdk ? path_join(sdk, "Keys") : NULL;
    char *p = keys ? path_join(keys, file) : NULL;
    free(sdk);
    free(keys);
    return p;
}

static int add_cert_file(struct keystore *ks, const char *path, enum signing_trust trust, const char *name)
{
    char *pem = NULL;
    size_t len = 0;
    int err = hostio_read_file(path, &pem, &len);
    if (!err)
        err = keystore_add_cert(ks, pem, len, trust, name);
    free(pem);
    if (err)
        return cli_error("cannot use the certificate %s: %s", path, err == -EINVAL ? "not a P-256 certificate" : os_strerror(err));
    return CLI_EXIT_OK;
}

/* ---- pack-application --------------------------------------------------------------------- */

struct pack {
    char **paths;
    size_t count;
    struct imgpkg_input_file *files;
    char **contents;
};

static void pack_free(struct pack *p)
{
    for (size_t i = 0; p->contents && i < p->count; i++)
        free(p->contents[i]);
    free(p->contents);
    free(p->files);
    hostio_free_list(p->paths, p->count);
}

static const char *strip_slash(const char *p) { return p[0] == '/' ? p + 1 : p; }

static int find_path(const struct pack *p, const char *rel)
{
    for (size_t i = 0; i < p->count; i++)
        if (strcmp(p->paths[i], rel) == 0)
            return (int)i;
    return -1;
}

/* Adds TargetApplicationRuntimeVersion / TargetBetaApis for the API set. */
static int stamp_api_set(const struct cli_invocation *inv, struct manifest *m, struct apiset *set)
{
    const char *text = cli_value(inv, "target-api-set");
    if (m->app_type == MANIFEST_APP_REALTIME) {
        if (text)
            fprintf(stderr, "warning: --target-api-set is ignored for real-time capable apps\n");
        return CLI_EXIT_OK;
    }
    char why[256];
    if (apiset_parse(text ? text : "latest-lts", set, why, sizeof why))
        return cli_error("%s", why);
    if (json_object_set(m->normalized, "TargetApplicationRuntimeVersion", json_new_int(set->arv)))
        return cli_error("out of memory");
    if (set->beta[0] && json_object_set(m->normalized, "TargetBetaApis", json_new_string(set->beta)))
        return cli_error("out of memory");
    return CLI_EXIT_OK;
}

static void truncated_name(const char *name, char out[32])
{
    size_t n = strlen(name);
    if (n > MANIFEST_STORED_NAME_MAX) {
        n = MANIFEST_STORED_NAME_MAX;
        while (n > 0 && ((unsigned char)name[n] & 0xC0) == 0x80)
            n--; /* never cut a UTF-8 character in half */
    }
    memcpy(out, name, n);
    out[n] = '\0';
}

static uint64_t build_time(void)
{
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    char *end;
    unsigned long long t = epoch ? strtoull(epoch, &end, 10) : 0;
    return epoch && *epoch && !*end ? (uint64_t)t : (uint64_t)time(NULL);
}

/* Reads the package folder's files and replaces app_manifest.json with the normalised one. */
static int collect_files(const char *dir, const struct cli_invocation *inv, const struct manifest *m,
                         const char *manifest_json, struct pack *p)
{
    char *bad = NULL;
    int err = hostio_list_files(dir, &p->paths, &p->count, &bad);
    if (err == -EINVAL) {
        int rc = cli_error("%s/%s is not a regular file or folder; a package holds only those", dir, bad);
        free(bad);
        return rc;
    }
    if (err)
        return cli_error("cannot read the package folder %s: %s", dir, os_strerror(err));
    if (find_path(p, "app_manifest.json") < 0) {
        char **grown = realloc(p->paths, (p->count + 1) * sizeof *grown);
        if (!grown)
            return cli_error("out of memory");
        p->paths = grown;
        if (!(p->paths[p->count] = strdup("app_manifest.json")))
            return cli_error("out of memory");
        p->count++;
    }
    if (find_path(p, strip_slash(m->entry_point)) < 0)
        return cli_error("EntryPoint \"%s\" does not exist in the package folder %s", m->entry_point, dir);
    size_t exec_count = 0;
    const char *const *execs = cli_values(inv, "executables", &exec_count);
    for (size_t i = 0; i < exec_count; i++)
        if (find_path(p, strip_slash(execs[i])) < 0)
            return cli_error("--executables: \"%s\" is not a file in the package folder %s", execs[i], dir);
    p->files = calloc(p->count, sizeof *p->files);
    p->contents = calloc(p->count, sizeof *p->contents);
    if (!p->files || !p->contents)
        return cli_error("out of memory");
    for (size_t i = 0; i < p->count; i++) {
        struct imgpkg_input_file *f = &p->files[i];
        f->path = p->paths[i];
        f->executable = strcmp(p->paths[i], strip_slash(m->entry_point)) == 0;
        for (size_t k = 0; k < exec_count; k++)
            f->executable |= strcmp(p->paths[i], strip_slash(execs[k])) == 0;
        if (strcmp(p->paths[i], "app_manifest.json") == 0) {
            f->data = (const uint8_t *)manifest_json;
            f->size = strlen(manifest_json);
            continue;
        }
        char *full = path_join(dir, p->paths[i]);
        size_t len = 0;
        err = full ? hostio_read_file(full, &p->contents[i], &len) : -ENOMEM;
        free(full);
        if (err)
            return cli_error("cannot read %s/%s: %s", dir, p->paths[i], os_strerror(err));
        f->data = (const uint8_t *)p->contents[i];
        f->size = len;
    }
    return CLI_EXIT_OK;
}

static int validate_manifest(const struct cli_invocation *inv, const char *dir, struct manifest **m)
{
    const char *given = cli_value(inv, "application-manifest");
    char *path = given ? strdup(given) : path_join(dir, "app_manifest.json");
    char *text = NULL;
    size_t len = 0;
    int err = path ? hostio_read_file(path, &text, &len) : -ENOMEM;
    if (err) {
        int rc = cli_error("cannot read the app manifest %s: %s", path ? path : "?", os_strerror(err));
        free(path);
        return rc;
    }
    struct cli_hwdef_context hw;
    cli_hwdef_context_init(&hw, inv);
    struct diag_list diags = {0};
    struct hwdef_set *target = NULL, *chip = NULL;
    int rc = cli_load_manifest_definitions(&hw, cli_value(inv, "target-definition-filename"), &diags, &target, &chip);
    if (rc == CLI_EXIT_OK) {
        struct manifest_context ctx = {.target = target, .chip = target ? target : chip};
        err = manifest_validate(text, len, path, &ctx, &diags, m);
        rc = cli_report_diags(&diags, path);
        if (err == -ENOMEM)
            rc = cli_error("out of memory");
    }
    hwdef_set_free(target);
    hwdef_set_free(chip);
    diag_list_free(&diags);
    cli_hwdef_context_free(&hw);
    free(text);
    free(path);
    return rc;
}

static int run_pack(const struct cli_invocation *inv)
{
    const char *dir = cli_value(inv, "package-directory");
    const char *dest = cli_value(inv, "destination");
    const char *key_path = cli_value(inv, "signing-key"), *cert_path = cli_value(inv, "signing-cert");
    if (!key_path != !cert_path)
        return cli_error("--signing-key and --signing-cert go together");
    struct manifest *m = NULL;
    struct apiset set = {0};
    struct pack p = {0};
    struct strbuf manifest_json = {0};
    struct signing_key *key = NULL;
    char *default_key = key_path ? NULL : sdk_file("sdk-signing.key.pem");
    char *default_cert = cert_path ? NULL : sdk_file("sdk-signing.cert.pem");
    uint8_t *image = NULL;
    size_t image_len = 0;
    int rc = validate_manifest(inv, dir, &m);
    if (!rc)
        rc = stamp_api_set(inv, m, &set);
    if (!rc && json_write(m->normalized, JSON_COMPACT, &manifest_json))
        rc = cli_error("out of memory");
    if (!rc)
        rc = collect_files(dir, inv, m, strbuf_str(&manifest_json), &p);
    if (!rc && (!key_path && !default_key))
        rc = cli_error("no --signing-key given and no SDK key found (set OPENSPHERE_SDK_DIR)");
    if (!rc)
        rc = load_signing_key(key_path ? key_path : default_key, cert_path ? cert_path : default_cert, &key);
    struct imgpkg_metadata meta = {.image_type = IMGPKG_TYPE_APPLICATION, .signing_type = IMGPKG_SIGNING_ECDSA256,
                                   .temporary_flags = IMGPKG_TEMP_UNDER_DEVELOPMENT, .has_temporary = true,
                                   .has_depends = true};
    if (!rc) {
        meta.component_id = m->component_id;
        meta.build_time = build_time();
        truncated_name(m->name, meta.name);
        signing_key_thumbprint(key, meta.thumbprint);
        if (m->app_type != MANIFEST_APP_REALTIME)
            meta.depends[meta.depends_count++] = (struct imgpkg_abi){set.arv, IMGPKG_ABI_APPLICATION_RUNTIME};
        if (guid_random(&meta.image_id))
            rc = cli_error("the kernel gave no random bytes for a fresh image ID");
    }
    struct imgpkg_error perr = {0};
    if (!rc) {
        int err = imgpkg_build(p.files, p.count, &meta, &image, &image_len, &perr);
        if (err)
            rc = err == -ENOMEM ? cli_error("out of memory") : cli_error("cannot pack %s: %s", dir, perr.message);
    }
    if (!rc) {
        uint8_t *signed_image = realloc(image, image_len + IMGPKG_SIGNATURE_SIZE);
        if (!signed_image)
            rc = cli_error("out of memory");
        else
            image = signed_image;
    }
    if (!rc && signing_sign(key, image, image_len, image + image_len))
        rc = cli_error("signing failed");
    if (!rc) {
        image_len += IMGPKG_SIGNATURE_SIZE;
        int err = hostio_write_file_atomic(dest, image, image_len, 0644);
        if (err)
            rc = cli_error("cannot write %s: %s", dest, os_strerror(err));
    }
    if (!rc) {
        char cid[GUID_TEXT_LEN + 1], iid[GUID_TEXT_LEN + 1], thumb[41], api[32] = "none (real-time capable app)";
        guid_format(&meta.component_id, cid);
        guid_format(&meta.image_id, iid);
        signing_thumbprint_hex(meta.thumbprint, thumb);
        if (m->app_type != MANIFEST_APP_REALTIME)
            apiset_format(&set, api, sizeof api);
        if (inv->output == CLI_OUTPUT_JSON)
            printf("{\"imagePackage\":\"%s\",\"componentId\":\"%s\",\"imageId\":\"%s\",\"name\":\"%s\",\"files\":%zu,"
                   "\"sizeInBytes\":%zu,\"targetApiSet\":\"%s\",\"signingCertThumbprint\":\"%s\"}\n",
                   dest, cid, iid, meta.name, p.count, image_len, m->app_type == MANIFEST_APP_REALTIME ? "" : api, thumb);
        else
            printf("Packaged '%s' into %s\n  Component ID:  %s\n  Image ID:      %s\n  API set:       %s\n"
                   "  Files:         %zu\n  Size:          %zu bytes\n  Signed by:     %s%s\n",
                   meta.name, dest, cid, iid, api, p.count, image_len, thumb, key_path ? "" : " (SDK key)");
    }
    free(image);
    signing_key_free(key);
    free(default_key);
    free(default_cert);
    strbuf_free(&manifest_json);
    pack_free(&p);
    manifest_free(m);
    return rc;
}

/* ---- show --------------------------------------------------------------------------------- */

static const char *abi_type_name(uint32_t t)
{
    static const char *const names[] = {"NoDependency", "SecureWorldRuntime", "OSRuntime", "ApplicationRuntime"};
    return t < 4 ? names[t] : "Unknown";
}

struct verdict {
    const char *status; /* "valid", "invalid", "unknown-key" */
    const char *key_name;
    enum signing_trust trust;
};

static struct verdict check_signature(const struct imgpkg *pkg, const uint8_t *data, const struct keystore *ks)
{
    struct keystore_match match = {0};
    int err = keystore_verify(ks, pkg->meta.thumbprint, data, pkg->signed_size, pkg->signature, &match);
    if (err == -ENOKEY)
        return (struct verdict){"unknown-key", NULL, 0};
    return (struct verdict){err ? "invalid" : "valid", match.name, match.trust};
}

static void print_show_table(const char *file, size_t len, const struct imgpkg *pkg, const struct verdict *v)
{
    const struct imgpkg_metadata *m = &pkg->meta;
    char cid[GUID_TEXT_LEN + 1], iid[GUID_TEXT_LEN + 1], thumb[41], when[64];
    guid_format(&m->component_id, cid);
    guid_format(&m->image_id, iid);
    signing_thumbprint_hex(m->thumbprint, thumb);
    time_t t = (time_t)m->build_time;
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    else
        snprintf(when, sizeof when, "%llu", (unsigned long long)m->build_time);
    printf("Image package: %s (%zu bytes)\n", file, len);
    printf("  Section: Identity\n    Image Type:           %s (%u)\n    Component ID:         %s\n"
           "    Image ID:             %s\n", imgpkg_type_name(m->image_type), m->image_type, cid, iid);
    printf("  Section: Signature\n    Signing Type:         %s\n    Cert:                 %s\n",
           m->signing_type == IMGPKG_SIGNING_ECDSA256 ? "ECDsa256" : "Unknown", thumb);
    printf("  Section: Debug\n    Image Name:           %s\n    Built On (UTC):       %s\n", m->name, when);
    if (m->has_temporary)
        printf("  Section: Temporary Image\n    Remove image at boot: %s\n    Under development:    %s\n",
               m->temporary_flags & IMGPKG_TEMP_REMOVE_AT_BOOT ? "True" : "False",
               m->temporary_flags & IMGPKG_TEMP_UNDER_DEVELOPMENT ? "True" : "False");
    if (m->has_depends) {
        printf("  Section: ABI Depends\n");
        if (!m->depends_count)
            printf("    Depends on:           nothing\n");
        for (uint32_t i = 0; i < m->depends_count; i++)
            printf("    Depends on:           %s, version %u\n", abi_type_name(m->depends[i].type), m->depends[i].version);
    }
    printf("  Files (%zu):\n", pkg->file_count);
    for (size_t i = 0; i < pkg->file_count; i++)
        printf("    %07o %9zu  /%s\n", pkg->files[i].mode, pkg->files[i].size, pkg->files[i].path);
    if (!strcmp(v->status, "valid"))
        printf("  Signature:            valid, %s key \"%s\"%s\n", v->trust == SIGNING_TRUST_SDK ? "SDK" : "production",
               v->key_name, v->trust == SIGNING_TRUST_SDK ? " (a device trusts it only with appDevelopment)" : "");
    else if (!strcmp(v->status, "invalid"))
        printf("  Signature:            INVALID: the package was changed after %s key \"%s\" signed it\n",
               v->trust == SIGNING_TRUST_SDK ? "SDK" : "production", v->key_name);
    else
        printf("  Signature:            not checked: no known key has thumbprint %s (give --production-cert)\n", thumb);
}

static struct json_value *show_json(const char *file, size_t len, const struct imgpkg *pkg, const struct verdict *v)
{
    const struct imgpkg_metadata *m = &pkg->meta;
    char cid[GUID_TEXT_LEN + 1], iid[GUID_TEXT_LEN + 1], thumb[41];
    guid_format(&m->component_id, cid);
    guid_format(&m->image_id, iid);
    signing_thumbprint_hex(m->thumbprint, thumb);
    struct json_value *o = json_new_object(), *files = json_new_array(), *deps = json_new_array(), *sig = json_new_object();
    if (!o || !files || !deps || !sig) {
        json_free(o), json_free(files), json_free(deps), json_free(sig);
        return NULL;
    }
    json_object_append(o, "imagePackage", json_new_string(file));
    json_object_append(o, "sizeInBytes", json_new_int((int64_t)len));
    json_object_append(o, "imageType", json_new_string(imgpkg_type_name(m->image_type)));
    json_object_append(o, "componentId", json_new_string(cid));
    json_object_append(o, "imageId", json_new_string(iid));
    json_object_append(o, "name", json_new_string(m->name));
    json_object_append(o, "buildTime", json_new_int((int64_t)m->build_time));
    json_object_append(o, "removeAtBoot", json_new_bool(m->temporary_flags & IMGPKG_TEMP_REMOVE_AT_BOOT));
    json_object_append(o, "underDevelopment", json_new_bool(m->temporary_flags & IMGPKG_TEMP_UNDER_DEVELOPMENT));
    for (uint32_t i = 0; i < m->depends_count; i++) {
        struct json_value *d = json_new_object();
        if (d) {
            json_object_append(d, "type", json_new_string(abi_type_name(m->depends[i].type)));
            json_object_append(d, "version", json_new_int(m->depends[i].version));
        }
        json_array_append(deps, d);
    }
    json_object_append(o, "abiDepends", deps);
    for (size_t i = 0; i < pkg->file_count; i++) {
        struct json_value *f = json_new_object();
        if (f) {
            char mode[16];
            snprintf(mode, sizeof mode, "%07o", pkg->files[i].mode);
            json_object_append(f, "path", json_new_string(pkg->files[i].path));
            json_object_append(f, "size", json_new_int((int64_t)pkg->files[i].size));
            json_object_append(f, "mode", json_new_string(mode));
        }
        json_array_append(files, f);
    }
    json_object_append(o, "files", files);
    json_object_append(sig, "thumbprint", json_new_string(thumb));
    json_object_append(sig, "status", json_new_string(v->status));
    if (v->key_name) {
        json_object_append(sig, "key", json_new_string(v->key_name));
        json_object_append(sig, "trust", json_new_string(v->trust == SIGNING_TRUST_SDK ? "sdk" : "production"));
    }
    json_object_append(o, "signature", sig);
    return o;
}

static int run_show(const struct cli_invocation *inv)
{
    const char *file = cli_value(inv, "image-package");
    char *data = NULL;
    size_t len = 0;
    int err = hostio_read_file(file, &data, &len);
    if (err)
        return cli_error("cannot read %s: %s", file, os_strerror(err));
    struct imgpkg pkg;
    struct imgpkg_error perr = {0};
    err = imgpkg_parse((const uint8_t *)data, len, &pkg, &perr);
    if (err) {
        free(data);
        return err == -ENOMEM ? cli_error("out of memory")
                              : cli_error("%s is not a valid image package: %s [%s at offset %zu]", file, perr.message,
                                          perr.code, perr.offset);
    }
    struct keystore *ks = NULL;
    int rc = keystore_new(&ks) ? cli_error("out of memory") : CLI_EXIT_OK;
    char *sdk_cert = sdk_file("sdk-signing.cert.pem");
    if (!rc && sdk_cert)
        rc = add_cert_file(ks, sdk_cert, SIGNING_TRUST_SDK, "OpenSphere SDK");
    size_t n = 0;
    const char *const *prod = cli_values(inv, "production-cert", &n);
    for (size_t i = 0; !rc && i < n; i++)
        rc = add_cert_file(ks, prod[i], SIGNING_TRUST_PRODUCTION, path_basename(prod[i]));
    if (!rc) {
        struct verdict v = check_signature(&pkg, (const uint8_t *)data, ks);
        if (inv->output == CLI_OUTPUT_JSON) {
            struct json_value *o = show_json(file, len, &pkg, &v);
            struct strbuf out = {0};
            if (!o || json_write(o, JSON_PRETTY, &out))
                rc = cli_error("out of memory");
            else
                printf("%s\n", strbuf_str(&out));
            strbuf_free(&out);
            json_free(o);
        } else {
            print_show_table(file, len, &pkg, &v);
        }
        if (!rc && !strcmp(v.status, "invalid"))
            rc = cli_error("%s: the signature does not verify", file);
    }
    free(sdk_cert);
    keystore_free(ks);
    imgpkg_free(&pkg);
    free(data);
    return rc;
}

static const struct cli_option pack_options[] = {
    {"package-directory", 0, "DIR", false, true, "The app's root folder (app_manifest.json, bin/app, resources)."},
    {"destination", 0, "FILE", false, true, "The image package to write."},
    {"application-manifest", 0, "FILE", false, false, "The manifest to use instead of DIR/app_manifest.json."},
    {"executables", 0, "PATH", true, false, "Files inside DIR to mark executable (the EntryPoint always is)."},
    {"hardware-definitions", 0, "DIR", true, false, "A folder of hardware definitions to search (also DIR1,DIR2)."},
    {"target-definition-filename", 0, "FILE", false, false, "The hardware definition \"$NAME\" values resolve through."},
    {"target-api-set", 0, "SET", false, false, "N, N+BetaYYMM, latest-lts (default) or latest-beta."},
    {"signing-key", 0, "PEM", false, false, "Sign with this P-256 private key instead of the SDK key."},
    {"signing-cert", 0, "PEM", false, false, "The certificate of --signing-key."},
    {NULL, 0, NULL, false, false, NULL},
};

static const struct cli_option show_options[] = {
    {"image-package", 'p', "FILE", false, true, "The image package to inspect."},
    {"production-cert", 0, "PEM", true, false, "Also check the signature against this certificate."},
    {NULL, 0, NULL, false, false, NULL},
};

static const struct cli_command pack = {
    .name = "pack-application",
    .summary = "Validate an app's manifest and pack its folder into a signed image package.",
    .details = "The packaged manifest is minified, with raw values, an explicit ApplicationType and the\n"
               "target API set (TargetApplicationRuntimeVersion, TargetBetaApis). The package is marked\n"
               "under development and depends on ApplicationRuntime at the target ARV (none for RTApps).\n"
               "SOURCE_DATE_EPOCH, when set, is used as the build time.",
    .options = pack_options,
    .prints_data = true,
    .run = run_pack,
};

static const struct cli_command show = {
    .name = "show",
    .summary = "Print an image package's metadata, files and signature status.",
    .details = "Exit status 1 if the package is malformed or its signature does not verify against the\n"
               "key it names; an unknown key is reported, not an error.",
    .options = show_options,
    .prints_data = true,
    .run = run_show,
};

static const struct cli_command *const image_package_commands[] = {&pack, &show, NULL};

const struct cli_command cmd_image_package = {
    .name = "image-package",
    .summary = "Pack and inspect image packages.",
    .subcommands = image_package_commands,
};

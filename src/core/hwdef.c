/* SPDX-License-Identifier: MIT */
/* hwdef.c — hardware definitions: load, validate, resolve, generate headers (see hwdef.h). */
#include "hwdef.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"

static const char *const type_names[HWDEF_TYPE_COUNT] = {"Gpio",      "Pwm",  "Adc", "I2cMaster",
                                                         "SpiMaster", "Uart", "int"};

const char *hwdef_type_name(enum hwdef_type type)
{
    return (unsigned)type < HWDEF_TYPE_COUNT ? type_names[type] : "?";
}

int hwdef_type_parse(const char *name, enum hwdef_type *out)
{
    for (int t = 0; t < HWDEF_TYPE_COUNT; t++)
        if (strcmp(name, type_names[t]) == 0) {
            *out = (enum hwdef_type)t;
            return 0;
        }
    return -EINVAL;
}

/* ---- loading ------------------------------------------------------------------------------ */

struct loader {
    const struct hwdef_search *search;
    const struct hwdef_io *io;
    struct diag_list *diags;
    struct hwdef_set *set;
    const char **stack; /* canonical paths of the files being loaded (cycle detection) */
    size_t depth;
    bool oom;
};

static void error_at(struct loader *l, const char *file, struct json_pos pos, const char *path,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void report(struct loader *l, enum diag_severity sev, const char *file, struct json_pos pos,
                   const char *path, const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));

static void report(struct loader *l, enum diag_severity sev, const char *file, struct json_pos pos,
                   const char *path, const char *fmt, va_list ap)
{
    struct strbuf msg = {0};
    if (strbuf_vprintf(&msg, fmt, ap)) {
        l->oom = true;
        return;
    }
    diag_add(l->diags, sev, file, pos.line, pos.col, path, "%s", strbuf_str(&msg));
    strbuf_free(&msg);
}

static void error_at(struct loader *l, const char *file, struct json_pos pos, const char *path,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(l, DIAG_ERROR, file, pos, path, fmt, ap);
    va_end(ap);
}

static void warning_at(struct loader *l, const char *file, struct json_pos pos, const char *path,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void warning_at(struct loader *l, const char *file, struct json_pos pos, const char *path,
                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(l, DIAG_WARNING, file, pos, path, fmt, ap);
    va_end(ap);
}

static char *xstrdup(struct loader *l, const char *s)
{
    char *c = strdup(s);
    if (!c)
        l->oom = true;
    return c;
}

/* A string member, or NULL (reporting a type error when present but not a string). */
static const char *string_member(struct loader *l, const struct hwdef_file *f, const struct json_value *obj,
                                 const char *key, const char *jpath, bool required)
{
    const struct json_member *m = json_object_member(obj, key);
    char full[256];
    snprintf(full, sizeof full, "%s%s%s", jpath, jpath[0] ? "." : "", key);
    if (!m) {
        if (required)
            error_at(l, f->display_path, obj->pos, jpath[0] ? jpath : NULL, "missing required field \"%s\"", key);
        return NULL;
    }
    if (m->value->type != JSON_STRING) {
        error_at(l, f->display_path, m->value->pos, full, "must be a string, not %s",
                 json_type_phrase(m->value->type));
        return NULL;
    }
    return m->value->u.string.chars;
}

static void check_known_keys(struct loader *l, const struct hwdef_file *f, const struct json_value *obj,
                             const char *jpath, const char *const *known)
{
    for (size_t i = 0; i < obj->u.object.count; i++) {
        const struct json_member *m = &obj->u.object.members[i];
        bool ok = strcmp(m->key, "$schema") == 0;
        for (const char *const *k = known; !ok && *k; k++)
            ok = strcmp(m->key, *k) == 0;
        if (!ok) {
            char full[256];
            snprintf(full, sizeof full, "%s%s%s", jpath, jpath[0] ? "." : "", m->key);
            warning_at(l, f->display_path, m->key_pos, full, "unknown field; it is ignored");
        }
    }
}

static bool is_identifier(const char *s)
{
    if (!(*s == '_' || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
        return false;
    for (s++; *s; s++)
        if (!(*s == '_' || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

static void read_description(struct loader *l, struct hwdef_file *f, const struct json_value *root)
{
    const struct json_value *d = json_object_get(root, "Description");
    if (!d)
        return;
    if (d->type != JSON_OBJECT) {
        error_at(l, f->display_path, d->pos, "Description", "must be an object, not %s", json_type_phrase(d->type));
        return;
    }
    static const char *const known[] = {"Name", "MainCoreHeaderFileTopContent", NULL};
    check_known_keys(l, f, d, "Description", known);
    const char *name = string_member(l, f, d, "Name", "Description", false);
    if (name)
        f->name = xstrdup(l, name);
    const struct json_value *top = json_object_get(d, "MainCoreHeaderFileTopContent");
    if (!top)
        return;
    if (top->type != JSON_ARRAY) {
        error_at(l, f->display_path, top->pos, "Description.MainCoreHeaderFileTopContent",
                 "must be an array of strings, not %s", json_type_phrase(top->type));
        return;
    }
    f->top_content = calloc(top->u.array.count + 1, sizeof *f->top_content);
    if (!f->top_content) {
        l->oom = true;
        return;
    }
    for (size_t i = 0; i < top->u.array.count; i++) {
        const struct json_value *line = top->u.array.items[i];
        if (line->type != JSON_STRING) {
            char jp[80];
            snprintf(jp, sizeof jp, "Description.MainCoreHeaderFileTopContent[%zu]", i);
            error_at(l, f->display_path, line->pos, jp, "must be a string, not %s", json_type_phrase(line->type));
            continue;
        }
        f->top_content[f->top_content_count++] = xstrdup(l, line->u.string.chars);
    }
}

static void read_metadata(struct loader *l, struct hwdef_file *f, const struct json_value *root)
{
    const struct json_value *md = json_object_get(root, "Metadata");
    if (!md) {
        error_at(l, f->display_path, root->pos, NULL, "missing required field \"Metadata\"");
        return;
    }
    if (md->type != JSON_OBJECT) {
        error_at(l, f->display_path, md->pos, "Metadata", "must be an object, not %s", json_type_phrase(md->type));
        return;
    }
    static const char *const known[] = {"Type", "Version", NULL};
    check_known_keys(l, f, md, "Metadata", known);
    const char *type = string_member(l, f, md, "Type", "Metadata", true);
    if (type && strcmp(type, "Azure Sphere Hardware Definition") != 0)
        error_at(l, f->display_path, json_object_get(md, "Type")->pos, "Metadata.Type",
                 "must be \"Azure Sphere Hardware Definition\", not \"%s\"", type);
    const struct json_value *version = json_object_get(md, "Version");
    if (!version)
        error_at(l, f->display_path, md->pos, "Metadata", "missing required field \"Version\"");
    else if (version->type != JSON_NUMBER || !version->u.number.is_integer || version->u.number.integer != 1)
        error_at(l, f->display_path, version->pos, "Metadata.Version",
                 "unsupported version (this tool reads version 1)");
}

/* Fills one peripheral from its JSON object. Returns false if the entry is unusable. */
static bool read_peripheral(struct loader *l, struct hwdef_file *f, const struct json_value *e, size_t index,
                            struct hwdef_peripheral *p)
{
    char jp[64];
    snprintf(jp, sizeof jp, "Peripherals[%zu]", index);
    if (e->type != JSON_OBJECT) {
        error_at(l, f->display_path, e->pos, jp, "must be an object, not %s", json_type_phrase(e->type));
        return false;
    }
    static const char *const known[] = {"Name", "Type", "Mapping", "AppManifestValue",
                                        "MainCoreHeaderValue", "Comment", NULL};
    check_known_keys(l, f, e, jp, known);
    const char *name = string_member(l, f, e, "Name", jp, true);
    const char *type = string_member(l, f, e, "Type", jp, true);
    const char *mapping = string_member(l, f, e, "Mapping", jp, false);
    const char *header = string_member(l, f, e, "MainCoreHeaderValue", jp, false);
    const char *comment = string_member(l, f, e, "Comment", jp, false);
    const struct json_value *value = json_object_get(e, "AppManifestValue");
    char field[96];
    bool ok = name && type;
    if (name && !is_identifier(name)) {
        snprintf(field, sizeof field, "%s.Name", jp);
        error_at(l, f->display_path, json_object_get(e, "Name")->pos, field,
                 "\"%s\" is not a valid C identifier (it becomes a #define in the header)", name);
        ok = false;
    }
    if (type && hwdef_type_parse(type, &p->type)) {
        snprintf(field, sizeof field, "%s.Type", jp);
        error_at(l, f->display_path, json_object_get(e, "Type")->pos, field,
                 "unknown type \"%s\" (expected Gpio, Pwm, Adc, I2cMaster, SpiMaster, Uart or int)", type);
        ok = false;
    }
    if (mapping && (header || value)) {
        error_at(l, f->display_path, e->pos, jp,
                 "has both \"Mapping\" and a value (\"AppManifestValue\"/\"MainCoreHeaderValue\"); use one or the other");
        ok = false;
    } else if (!mapping && !header) {
        error_at(l, f->display_path, e->pos, jp,
                 "needs either \"Mapping\" or \"MainCoreHeaderValue\"%s",
                 ok && p->type != HWDEF_INT ? " and \"AppManifestValue\"" : "");
        ok = false;
    } else if (!mapping && ok) {
        snprintf(field, sizeof field, "%s.AppManifestValue", jp);
        if (p->type == HWDEF_INT) {
            if (value)
                warning_at(l, f->display_path, value->pos, field,
                           "an \"int\" entry is not a manifest peripheral; its AppManifestValue is ignored");
            value = NULL;
        } else if (!value) {
            error_at(l, f->display_path, e->pos, jp, "missing \"AppManifestValue\" (required for type %s)", type);
            ok = false;
        } else if (p->type == HWDEF_GPIO && (value->type != JSON_NUMBER || !value->u.number.is_integer ||
                                             value->u.number.integer < 0)) {
            error_at(l, f->display_path, value->pos, field, "a Gpio's AppManifestValue must be a GPIO number (an integer >= 0)");
            ok = false;
        } else if (p->type != HWDEF_GPIO && value->type != JSON_STRING) {
            error_at(l, f->display_path, value->pos, field, "a %s's AppManifestValue must be a string such as \"ISU0\"", type);
            ok = false;
        }
    }
    if (!ok)
        return false;
    p->name = xstrdup(l, name);
    p->mapping = mapping ? xstrdup(l, mapping) : NULL;
    p->header_value = header ? xstrdup(l, header) : NULL;
    p->comment = comment ? xstrdup(l, comment) : NULL;
    if (value && !(p->value = json_clone(value)))
        l->oom = true;
    p->pos = e->pos;
    p->file = f;
    return true;
}

static void read_peripherals(struct loader *l, struct hwdef_file *f, const struct json_value *root)
{
    const struct json_value *list = json_object_get(root, "Peripherals");
    if (!list) {
        error_at(l, f->display_path, root->pos, NULL, "missing required field \"Peripherals\"");
        return;
    }
    if (list->type != JSON_ARRAY) {
        error_at(l, f->display_path, list->pos, "Peripherals", "must be an array, not %s", json_type_phrase(list->type));
        return;
    }
    f->peripherals = calloc(list->u.array.count + 1, sizeof *f->peripherals);
    if (!f->peripherals) {
        l->oom = true;
        return;
    }
    for (size_t i = 0; i < list->u.array.count; i++)
        if (read_peripheral(l, f, list->u.array.items[i], i, &f->peripherals[f->peripheral_count]))
            f->peripheral_count++;
}

static int load_file(struct loader *l, const char *canonical, const char *display, struct hwdef_file **out);

/* Finds the file an import names; returns its canonical path (malloc'd) or NULL. */
static char *find_import(struct loader *l, const struct hwdef_file *from, const char *written, bool *beside)
{
    char *candidates[64];
    size_t n = 0;
    char *dir = path_dirname(from->path);
    size_t beside_index = dir ? 0 : (size_t)-1;
    if (dir)
        candidates[n++] = path_join(dir, written);
    free(dir);
    for (size_t i = 0; i <= l->search->dir_count && n + 2 < 64; i++) {
        const char *d = i < l->search->dir_count ? l->search->dirs[i] : l->search->sdk_dir;
        if (!d)
            continue;
        candidates[n++] = path_join(d, written);
        candidates[n++] = path_join(d, path_basename(written));
    }
    char *found = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!found && candidates[i] && l->io->canonical_path(l->io->ctx, candidates[i], &found) != 0)
            found = NULL;
        if (found && i == beside_index)
            *beside = true;
        free(candidates[i]);
    }
    return found;
}

static void describe_search(struct loader *l, const struct hwdef_file *from, struct strbuf *sb)
{
    char *dir = path_dirname(from->path);
    strbuf_printf(sb, "%s", dir ? dir : "?");
    free(dir);
    for (size_t i = 0; i < l->search->dir_count; i++)
        strbuf_printf(sb, ", %s", l->search->dirs[i]);
    if (l->search->sdk_dir)
        strbuf_printf(sb, " or the SDK's %s", l->search->sdk_dir);
}

static void read_imports(struct loader *l, struct hwdef_file *f, const struct json_value *root)
{
    const struct json_value *list = json_object_get(root, "Imports");
    if (!list)
        return;
    if (list->type != JSON_ARRAY) {
        error_at(l, f->display_path, list->pos, "Imports", "must be an array, not %s", json_type_phrase(list->type));
        return;
    }
    f->imports = calloc(list->u.array.count + 1, sizeof *f->imports);
    if (!f->imports) {
        l->oom = true;
        return;
    }
    for (size_t i = 0; i < list->u.array.count; i++) {
        const struct json_value *e = list->u.array.items[i];
        char jp[48];
        snprintf(jp, sizeof jp, "Imports[%zu]", i);
        if (e->type != JSON_OBJECT) {
            error_at(l, f->display_path, e->pos, jp, "must be an object such as {\"Path\": \"mt3620.json\"}");
            continue;
        }
        static const char *const known[] = {"Path", NULL};
        check_known_keys(l, f, e, jp, known);
        const char *written = string_member(l, f, e, "Path", jp, true);
        if (!written)
            continue;
        struct hwdef_import *imp = &f->imports[f->import_count++];
        imp->path_as_written = xstrdup(l, written);
        imp->pos = json_object_get(e, "Path")->pos;
        char *canonical = find_import(l, f, written, &imp->found_beside);
        snprintf(jp, sizeof jp, "Imports[%zu].Path", i);
        if (!canonical) {
            struct strbuf where = {0};
            describe_search(l, f, &where);
            error_at(l, f->display_path, imp->pos, jp, "cannot find \"%s\" under %s", written, strbuf_str(&where));
            strbuf_free(&where);
            continue;
        }
        bool cycle = false;
        for (size_t s = 0; s < l->depth; s++)
            cycle |= strcmp(l->stack[s], canonical) == 0;
        if (cycle) {
            error_at(l, f->display_path, imp->pos, jp, "import cycle: \"%s\" is already being imported (%s)",
                     written, canonical);
        } else if (load_file(l, canonical, written, &imp->file) == -ENOMEM) {
            l->oom = true;
        }
        free(canonical);
    }
}

static struct hwdef_file *find_loaded(const struct loader *l, const char *canonical)
{
    for (size_t i = 0; i < l->set->file_count; i++)
        if (strcmp(l->set->files[i]->path, canonical) == 0)
            return l->set->files[i];
    return NULL;
}

static int load_file(struct loader *l, const char *canonical, const char *display, struct hwdef_file **out)
{
    *out = find_loaded(l, canonical);
    if (*out)
        return 0;
    if (l->depth >= 32) {
        diag_add(l->diags, DIAG_ERROR, display, 0, 0, NULL, "imports nested more than 32 deep");
        return -EINVAL;
    }
    struct hwdef_file *f = calloc(1, sizeof *f);
    struct hwdef_file **files = realloc(l->set->files, (l->set->file_count + 1) * sizeof *files);
    if (!f || !files) {
        free(f);
        if (files)
            l->set->files = files;
        return -ENOMEM;
    }
    l->set->files = files;
    files[l->set->file_count++] = f;
    f->path = xstrdup(l, canonical);
    f->display_path = xstrdup(l, display);
    if (!f->path || !f->display_path)
        return -ENOMEM;
    *out = f;

    char *text = NULL;
    size_t len = 0;
    int err = l->io->read_file(l->io->ctx, canonical, &text, &len);
    if (err) {
        diag_add(l->diags, DIAG_ERROR, display, 0, 0, NULL, "cannot read the file: %s", strerror(-err));
        return err;
    }
    struct json_value *root = NULL;
    struct json_options opts = {.allow_trailing_commas = true};
    err = json_parse(text, len, &opts, display, l->diags, &root);
    free(text);
    if (err)
        return err;
    if (root->type != JSON_OBJECT) {
        error_at(l, display, root->pos, NULL, "a hardware definition must be a JSON object, not %s",
                 json_type_phrase(root->type));
        json_free(root);
        return -EINVAL;
    }
    static const char *const known[] = {"Metadata", "Description", "Imports", "Peripherals", NULL};
    check_known_keys(l, f, root, "", known);
    read_metadata(l, f, root);
    read_description(l, f, root);
    l->stack[l->depth++] = f->path;
    read_imports(l, f, root);
    l->depth--;
    read_peripherals(l, f, root);
    json_free(root);
    return l->oom ? -ENOMEM : 0;
}

/* ---- cross-file checks -------------------------------------------------------------------- */

static const struct hwdef_peripheral *find_in_file(const struct hwdef_file *f, const char *name)
{
    if (!f)
        return NULL;
    for (size_t i = 0; i < f->peripheral_count; i++)
        if (strcmp(f->peripherals[i].name, name) == 0)
            return &f->peripherals[i];
    return NULL;
}

const struct hwdef_peripheral *hwdef_lookup(const struct hwdef_set *set, const char *name)
{
    for (size_t i = 0; i < set->file_count; i++) {
        const struct hwdef_peripheral *p = find_in_file(set->files[i], name);
        if (p)
            return p;
    }
    return NULL;
}

const struct hwdef_peripheral *hwdef_resolve(const struct hwdef_peripheral *p)
{
    for (int hops = 0; p && hops < 64; hops++) {
        if (!p->mapping)
            return p;
        p = p->target;
    }
    return NULL;
}

static void check_duplicates(struct loader *l)
{
    for (size_t a = 0; a < l->set->file_count; a++) {
        const struct hwdef_file *fa = l->set->files[a];
        for (size_t i = 0; i < fa->peripheral_count; i++) {
            const struct hwdef_peripheral *p = &fa->peripherals[i];
            /* Earlier definition of the same name, in an earlier file or earlier in this one. */
            const struct hwdef_peripheral *first = NULL;
            for (size_t b = 0; b <= a && !first; b++) {
                const struct hwdef_file *fb = l->set->files[b];
                size_t end = b == a ? i : fb->peripheral_count;
                for (size_t j = 0; j < end && !first; j++)
                    if (strcmp(fb->peripherals[j].name, p->name) == 0)
                        first = &fb->peripherals[j];
            }
            if (first) {
                char jp[64];
                snprintf(jp, sizeof jp, "Peripherals[%zu].Name", i);
                error_at(l, fa->display_path, p->pos, jp,
                         "duplicate peripheral name \"%s\" (already defined in %s at line %u)", p->name,
                         first->file->display_path, first->pos.line);
            }
        }
    }
}

static void resolve_mappings(struct loader *l)
{
    for (size_t a = 0; a < l->set->file_count; a++) {
        struct hwdef_file *f = l->set->files[a];
        for (size_t i = 0; i < f->peripheral_count; i++) {
            struct hwdef_peripheral *p = &f->peripherals[i];
            if (!p->mapping)
                continue;
            char jp[64];
            snprintf(jp, sizeof jp, "Peripherals[%zu].Mapping", i);
            const struct hwdef_peripheral *t = find_in_file(f, p->mapping);
            for (size_t k = 0; !t && k < f->import_count; k++)
                t = find_in_file(f->imports[k].file, p->mapping);
            if (!t) {
                t = hwdef_lookup(l->set, p->mapping);
                if (t)
                    warning_at(l, f->display_path, p->pos, jp,
                               "\"%s\" maps to \"%s\", which %s imports only indirectly (through %s); "
                               "import it directly",
                               p->name, p->mapping, path_basename(f->display_path), t->file->display_path);
            }
            if (!t) {
                error_at(l, f->display_path, p->pos, jp,
                         "\"%s\" maps to \"%s\", which is not defined in this file or its imports", p->name,
                         p->mapping);
                continue;
            }
            if (t->type != p->type) {
                error_at(l, f->display_path, p->pos, jp, "%s \"%s\" cannot be used as %s: \"%s\" is declared as %s",
                         hwdef_type_name(t->type), p->mapping, hwdef_type_name(p->type), p->name,
                         hwdef_type_name(p->type));
                continue;
            }
            p->target = t;
        }
    }
    /* Mapping chains must end at a root entry. */
    for (size_t a = 0; a < l->set->file_count; a++) {
        const struct hwdef_file *f = l->set->files[a];
        for (size_t i = 0; i < f->peripheral_count; i++) {
            const struct hwdef_peripheral *p = &f->peripherals[i];
            if (p->target && !hwdef_resolve(p)) {
                char jp[64];
                snprintf(jp, sizeof jp, "Peripherals[%zu].Mapping", i);
                error_at(l, f->display_path, p->pos, jp, "mapping cycle: \"%s\" never reaches a peripheral with values",
                         p->name);
            }
        }
    }
}

int hwdef_load(const char *path, const struct hwdef_search *search, const struct hwdef_io *io,
               struct diag_list *diags, struct hwdef_set **out)
{
    *out = NULL;
    struct hwdef_set *set = calloc(1, sizeof *set);
    const char *stack[33];
    struct loader l = {.search = search, .io = io, .diags = diags, .set = set, .stack = stack};
    if (!set)
        return -ENOMEM;
    size_t errors_before = diag_error_count(diags);
    char *canonical = NULL;
    int err = io->canonical_path(io->ctx, path, &canonical);
    if (err) {
        diag_add(diags, DIAG_ERROR, path, 0, 0, NULL, "cannot open the hardware definition: %s", strerror(-err));
        free(set);
        return err == -ENOMEM ? err : -EINVAL;
    }
    err = load_file(&l, canonical, path, &set->root);
    free(canonical);
    if (err == -ENOMEM || l.oom) {
        hwdef_set_free(set);
        return -ENOMEM;
    }
    check_duplicates(&l);
    resolve_mappings(&l);
    if (l.oom) {
        hwdef_set_free(set);
        return -ENOMEM;
    }
    *out = set;
    return diag_error_count(diags) > errors_before ? -EINVAL : 0;
}

void hwdef_set_free(struct hwdef_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->file_count; i++) {
        struct hwdef_file *f = set->files[i];
        for (size_t k = 0; k < f->peripheral_count; k++) {
            struct hwdef_peripheral *p = &f->peripherals[k];
            free(p->name);
            free(p->mapping);
            free(p->header_value);
            free(p->comment);
            json_free(p->value);
        }
        for (size_t k = 0; k < f->import_count; k++)
            free(f->imports[k].path_as_written);
        for (size_t k = 0; k < f->top_content_count; k++)
            free(f->top_content[k]);
        free(f->peripherals);
        free(f->imports);
        free(f->top_content);
        free(f->path);
        free(f->display_path);
        free(f->name);
        free(f);
    }
    free(set->files);
    free(set);
}

/* ---- header generation -------------------------------------------------------------------- */

char *hwdef_header_path(const struct hwdef_file *file)
{
    char *dir = path_dirname(file->path);
    const char *base = path_basename(file->path);
    size_t stem = strlen(base);
    if (stem > 5 && strcmp(base + stem - 5, ".json") == 0)
        stem -= 5;
    struct strbuf sb = {0};
    int err = !dir || strbuf_printf(&sb, "%s/inc/hw/%.*s.h", strcmp(dir, "/") ? dir : "", (int)stem, base);
    free(dir);
    if (err) {
        strbuf_free(&sb);
        return NULL;
    }
    return strbuf_detach(&sb);
}

int hwdef_generate_header(const struct hwdef_file *file, struct strbuf *out)
{
    int err = 0;
    for (size_t i = 0; !err && i < file->top_content_count; i++)
        err = strbuf_printf(out, "%s\n", file->top_content[i]);
    if (!err)
        err = strbuf_printf(out, "\n// This file is autogenerated from ../../%s.  Do not edit it directly.\n\n"
                                 "#pragma once\n",
                            path_basename(file->path));
    char *own_header = hwdef_header_path(file);
    char *own_dir = own_header ? path_dirname(own_header) : NULL;
    if (!own_dir)
        err = -ENOMEM;
    for (size_t i = 0; !err && i < file->import_count; i++) {
        const struct hwdef_file *imp = file->imports[i].file;
        if (!imp)
            continue;
        char *header = hwdef_header_path(imp);
        char *rel = !header                       ? NULL
                    : file->imports[i].found_beside ? path_relative(own_dir, header)
                                                    : strdup(path_basename(header));
        err = rel ? strbuf_printf(out, "#include \"%s\"\n", rel) : -ENOMEM;
        free(header);
        free(rel);
    }
    if (!err && file->import_count)
        err = strbuf_putc(out, '\n');
    for (size_t i = 0; !err && i < file->peripheral_count; i++) {
        const struct hwdef_peripheral *p = &file->peripherals[i];
        if (p->comment)
            err = strbuf_printf(out, "// %s\n", p->comment);
        if (!err)
            err = strbuf_printf(out, "#define %s %s\n\n", p->name, p->mapping ? p->mapping : p->header_value);
    }
    free(own_header);
    free(own_dir);
    return err;
}

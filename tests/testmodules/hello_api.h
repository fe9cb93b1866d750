/*
 * hello_api.h - the few Redis module API entry points the hello test module uses.
 *
 * Copyright: redisops.custom_modules contributors
 * GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
 *
 * Written for this collection's tests; it is not redismodule.h. A Redis module reaches the
 * server's API through a lookup function whose pointer is the first field of the context
 * handed to RedisModule_OnLoad: each entry point is fetched by its exported name. Only the
 * handful of entry points and constants hello.c needs are declared here; every other type
 * stays opaque.
 */
#ifndef HELLO_API_H
#define HELLO_API_H

#include <stddef.h>

/* Status codes and constants of the module ABI (API version 1). */
#define HM_OK 0
#define HM_ERR 1
#define HM_APIVER_1 1
#define HM_KEY_READ (1 << 0)
#define HM_KEY_WRITE (1 << 1)
#define HM_KEYTYPE_EMPTY 0
#define HM_KEYTYPE_STRING 1

/* Opaque server-side objects. */
typedef struct HmCtx HmCtx;
typedef struct HmKey HmKey;
typedef struct HmString HmString;

typedef int (*HmCommandFn)(HmCtx *ctx, HmString **argv, int argc);
typedef int (*HmLookupFn)(const char *name, void *out_fn_ptr);

/* The entry points, filled in by hm_init(). */
static void (*hm_SetModuleAttribs)(HmCtx *ctx, const char *name, int ver, int apiver);
static int (*hm_IsModuleNameBusy)(const char *name);
static int (*hm_CreateCommand)(HmCtx *ctx, const char *name, HmCommandFn fn, const char *flags,
                               int firstkey, int lastkey, int keystep);
static int (*hm_WrongArity)(HmCtx *ctx);
static int (*hm_ReplyWithSimpleString)(HmCtx *ctx, const char *msg);
static int (*hm_ReplyWithStringBuffer)(HmCtx *ctx, const char *buf, size_t len);
static int (*hm_ReplyWithNull)(HmCtx *ctx);
static int (*hm_ReplyWithError)(HmCtx *ctx, const char *err);
static HmKey *(*hm_OpenKey)(HmCtx *ctx, HmString *keyname, int mode);
static void (*hm_CloseKey)(HmKey *key);
static int (*hm_KeyType)(HmKey *key);
static int (*hm_StringSet)(HmKey *key, HmString *str);
static char *(*hm_StringDMA)(HmKey *key, size_t *len, int mode);
static int (*hm_ReplicateVerbatim)(HmCtx *ctx);

/* Fetch one entry point by name; a missing one makes the whole load fail. */
#define HM_FETCH(lookup, var, api_name) \
    do { if ((lookup)((api_name), (void *)&(var)) != HM_OK) return HM_ERR; } while (0)

/*
 * Resolve every entry point, then register the module's name and version.
 * Fails when the server lacks an entry point or another module already owns the name.
 */
static int hm_init(HmCtx *ctx, const char *name, int version)
{
    HmLookupFn lookup = *(HmLookupFn *)ctx;

    HM_FETCH(lookup, hm_SetModuleAttribs, "RedisModule_SetModuleAttribs");
    HM_FETCH(lookup, hm_IsModuleNameBusy, "RedisModule_IsModuleNameBusy");
    HM_FETCH(lookup, hm_CreateCommand, "RedisModule_CreateCommand");
    HM_FETCH(lookup, hm_WrongArity, "RedisModule_WrongArity");
    HM_FETCH(lookup, hm_ReplyWithSimpleString, "RedisModule_ReplyWithSimpleString");
    HM_FETCH(lookup, hm_ReplyWithStringBuffer, "RedisModule_ReplyWithStringBuffer");
    HM_FETCH(lookup, hm_ReplyWithNull, "RedisModule_ReplyWithNull");
    HM_FETCH(lookup, hm_ReplyWithError, "RedisModule_ReplyWithError");
    HM_FETCH(lookup, hm_OpenKey, "RedisModule_OpenKey");
    HM_FETCH(lookup, hm_CloseKey, "RedisModule_CloseKey");
    HM_FETCH(lookup, hm_KeyType, "RedisModule_KeyType");
    HM_FETCH(lookup, hm_StringSet, "RedisModule_StringSet");
    HM_FETCH(lookup, hm_StringDMA, "RedisModule_StringDMA");
    HM_FETCH(lookup, hm_ReplicateVerbatim, "RedisModule_ReplicateVerbatim");

    if (hm_IsModuleNameBusy(name))
        return HM_ERR;
    hm_SetModuleAttribs(ctx, name, version, HM_APIVER_1);
    return HM_OK;
}

#endif /* HELLO_API_H */

/*
 * hello.c - a tiny but real Redis module used by redisops.custom_modules tests.
 *
 * Copyright: redisops.custom_modules contributors
 * GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
 *
 * Commands:
 *   HELLO.PING           -> "PONG <semantic version>"  (no keys, read-only: shows which build is loaded)
 *   HELLO.SET key value  -> OK                         (one key at position 1, write)
 *   HELLO.GET key        -> the value or nil           (one key at position 1, read-only)
 *
 * HELLO_VERSION is the numeric module version (major*10000 + minor*100 + patch), set with -D.
 */
#include <stdio.h>
#include "hello_api.h"

#ifndef HELLO_VERSION
#error "build with -DHELLO_VERSION=<major*10000+minor*100+patch>"
#endif

#define HELLO_NAME "hello"

static char pong_reply[64];

static int hello_ping(HmCtx *ctx, HmString **argv, int argc)
{
    (void)argv;
    if (argc != 1)
        return hm_WrongArity(ctx);
    return hm_ReplyWithSimpleString(ctx, pong_reply);
}

static int hello_set(HmCtx *ctx, HmString **argv, int argc)
{
    HmKey *key;
    int type;

    if (argc != 3)
        return hm_WrongArity(ctx);
    key = hm_OpenKey(ctx, argv[1], HM_KEY_READ | HM_KEY_WRITE);
    type = hm_KeyType(key);
    if (type != HM_KEYTYPE_EMPTY && type != HM_KEYTYPE_STRING) {
        hm_CloseKey(key);
        return hm_ReplyWithError(ctx, "WRONGTYPE Operation against a key holding the wrong kind of value");
    }
    hm_StringSet(key, argv[2]);
    hm_CloseKey(key);
    hm_ReplicateVerbatim(ctx);
    return hm_ReplyWithSimpleString(ctx, "OK");
}

static int hello_get(HmCtx *ctx, HmString **argv, int argc)
{
    HmKey *key;
    const char *buf;
    size_t len = 0;
    int type, rc;

    if (argc != 2)
        return hm_WrongArity(ctx);
    key = hm_OpenKey(ctx, argv[1], HM_KEY_READ);
    type = hm_KeyType(key);
    if (type == HM_KEYTYPE_EMPTY) {
        rc = hm_ReplyWithNull(ctx);
    } else if (type != HM_KEYTYPE_STRING) {
        rc = hm_ReplyWithError(ctx, "WRONGTYPE Operation against a key holding the wrong kind of value");
    } else {
        buf = hm_StringDMA(key, &len, HM_KEY_READ);
        rc = hm_ReplyWithStringBuffer(ctx, buf, len);
    }
    hm_CloseKey(key);
    return rc;
}

/* The one symbol the server looks up in the shared object. */
__attribute__((visibility("default")))
int RedisModule_OnLoad(HmCtx *ctx, HmString **argv, int argc)
{
    (void)argv;
    (void)argc;
    if (hm_init(ctx, HELLO_NAME, HELLO_VERSION) != HM_OK)
        return HM_ERR;
    snprintf(pong_reply, sizeof(pong_reply), "PONG %d.%d.%d",
             HELLO_VERSION / 10000, (HELLO_VERSION / 100) % 100, HELLO_VERSION % 100);

    if (hm_CreateCommand(ctx, "hello.ping", hello_ping, "readonly fast", 0, 0, 0) != HM_OK)
        return HM_ERR;
    if (hm_CreateCommand(ctx, "hello.set", hello_set, "write deny-oom", 1, 1, 1) != HM_OK)
        return HM_ERR;
    if (hm_CreateCommand(ctx, "hello.get", hello_get, "readonly fast", 1, 1, 1) != HM_OK)
        return HM_ERR;
    return HM_OK;
}

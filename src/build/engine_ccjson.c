/* engine_ccjson.c - compile_commands.json at the project root, regenerated only when a unit's command changed and written only when its bytes differ. */
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "log.h"

void eng_write_compile_commands(build *b)
{
    XXH3_state_t *st = XXH3_createState();
    XXH3_128bits_reset(st);
    XXH3_128bits_update(st, b->P.root, strlen(b->P.root) + 1);
    for (size_t i = 0; i < b->nunits; i++) {
        XXH3_128bits_update(st, b->units[i].rel, strlen(b->units[i].rel) + 1);
        XXH3_128bits_update(st, &b->units[i].cmd_hash, sizeof b->units[i].cmd_hash);
    }
    XXH128_hash_t sig = XXH3_128bits_digest(st);
    XXH3_freeState(st);
    char *path = path_join(b->P.root, "compile_commands.json");
    if (hash_eq(sig, b->rec->ccjson_sig) && file_exists(path)) {
        free(path);
        return;
    }
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < b->nunits; i++) {
        unit *u = &b->units[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "directory", b->P.root);
        char *abs = path_absolute(b->P.root, u->rel);
        cJSON_AddStringToObject(e, "file", abs);
        free(abs);
        cJSON *args = cJSON_AddArrayToObject(e, "arguments");
        eng_unit_emit(b, u, eng_emit_json, args);
        cJSON_AddStringToObject(e, "output", u->obj_abs);
        cJSON_AddItemToArray(arr, e);
    }
    char *text = cJSON_Print(arr);
    cJSON_Delete(arr);
    size_t tl = strlen(text);
    size_t ol = 0;
    char *old = read_file(path, &ol);
    if (!old || ol != tl + 1 || memcmp(old, text, tl) != 0) {
        char *withnl = xasprintf("%s\n", text);
        if (write_file_atomic(path, withnl, tl + 1, 0644) < 0)
            log_warn("engine: cannot write %s", path);
        free(withnl);
    }
    free(old);
    free(text);
    b->rec->ccjson_sig = sig;
    b->rec->dirty = true;
    free(path);
}

#include "vips_shim.h"
#include <string.h>

int ipv_init(void) {
    if (VIPS_INIT("imagepipe")) return -1;
    // Each image goes through once: libvips' operation cache would only hold memory.
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    // imagepipe runs a stage's images side by side (its `concurrency`): one libvips worker per
    // image keeps the threads, and the buffers each one holds, to what the stage asks for.
    vips_concurrency_set(1);
    return 0;
}

char *ipv_take_error(void) {
    // libvips keeps one error buffer for the whole process: with images made side by side the
    // text may be another image's, so callers say what they were doing and quote it as libvips'.
    return vips_error_buffer_copy();
}

VipsImage *ipv_load(const void *data, size_t length) {
    return vips_image_new_from_buffer(data, length, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
}

VipsImage *ipv_thumbnail_buffer(const void *data, size_t length, int width, int height, int size, int crop) {
    VipsImage *out = NULL;
    int failed = crop < 0
        ? vips_thumbnail_buffer((void *)data, length, &out, width, "height", height, "size", (VipsSize)size, NULL)
        : vips_thumbnail_buffer((void *)data, length, &out, width, "height", height, "size", (VipsSize)size, "crop", (VipsInteresting)crop, NULL);
    return failed ? NULL : out;
}

VipsImage *ipv_thumbnail_image(VipsImage *in, int width, int height, int size, int crop) {
    VipsImage *out = NULL;
    int failed = crop < 0
        ? vips_thumbnail_image(in, &out, width, "height", height, "size", (VipsSize)size, NULL)
        : vips_thumbnail_image(in, &out, width, "height", height, "size", (VipsSize)size, "crop", (VipsInteresting)crop, NULL);
    return failed ? NULL : out;
}

VipsImage *ipv_extract_area(VipsImage *in, int left, int top, int width, int height) {
    VipsImage *out = NULL;
    return vips_extract_area(in, &out, left, top, width, height, NULL) ? NULL : out;
}

VipsImage *ipv_flatten(VipsImage *in, double r, double g, double b) {
    VipsImage *out = NULL;
    double colour[3] = {r, g, b};
    VipsArrayDouble *background = vips_array_double_new(colour, 3);
    int failed = vips_flatten(in, &out, "background", background, NULL);
    vips_area_unref(VIPS_AREA(background));
    return failed ? NULL : out;
}

VipsImage *ipv_embed_centre(VipsImage *in, int width, int height, double r, double g, double b) {
    VipsImage *out = NULL;
    int bands = vips_image_get_bands(in);
    double colour[4] = {r, g, b, 255};
    int count = bands >= 4 ? 4 : 3;
    if (bands <= 2) {
        colour[0] = (r + g + b) / 3;
        colour[1] = 255;
        count = bands;
    }
    VipsArrayDouble *background = vips_array_double_new(colour, count);
    int failed = vips_gravity(in, &out, VIPS_COMPASS_DIRECTION_CENTRE, width, height,
                              "extend", VIPS_EXTEND_BACKGROUND, "background", background, NULL);
    vips_area_unref(VIPS_AREA(background));
    return failed ? NULL : out;
}

VipsImage *ipv_srgb8(VipsImage *in) {
    VipsImage *srgb = NULL, *out = NULL;
    if (vips_colourspace(in, &srgb, VIPS_INTERPRETATION_sRGB, NULL)) return NULL;
    int failed = vips_cast(srgb, &out, VIPS_FORMAT_UCHAR, NULL);
    g_object_unref(srgb);
    return failed ? NULL : out;
}

VipsImage *ipv_grey8(VipsImage *in) {
    VipsImage *flat = NULL, *bw = NULL, *out = NULL;
    if (vips_image_hasalpha(in)) {
        if (vips_flatten(in, &flat, NULL)) return NULL;
    } else {
        flat = in;
        g_object_ref(flat);
    }
    int failed = vips_colourspace(flat, &bw, VIPS_INTERPRETATION_B_W, NULL);
    g_object_unref(flat);
    if (failed) return NULL;
    failed = vips_cast(bw, &out, VIPS_FORMAT_UCHAR, NULL);
    g_object_unref(bw);
    return failed ? NULL : out;
}

VipsImage *ipv_resize_exact(VipsImage *in, int width, int height) {
    VipsImage *out = NULL;
    double h = (double)width / vips_image_get_width(in);
    double v = (double)height / vips_image_get_height(in);
    return vips_resize(in, &out, h, "vscale", v, NULL) ? NULL : out;
}

int ipv_save(VipsImage *in, int format, int quality, int strip, void **data, size_t *length) {
    switch (format) {
    case 0: return vips_pngsave_buffer(in, data, length, "strip", strip, "compression", 6, NULL);
    case 1: return vips_jpegsave_buffer(in, data, length, "Q", quality, "strip", strip, "optimize_coding", TRUE, NULL);
    case 2: return vips_webpsave_buffer(in, data, length, "Q", quality, "strip", strip, NULL);
    case 3: return vips_heifsave_buffer(in, data, length, "Q", quality, "strip", strip,
                                        "compression", VIPS_FOREIGN_HEIF_COMPRESSION_AV1, NULL);
    default: vips_error("imagepipe", "unknown output format %d", format); return -1;
    }
}

void *ipv_pixels(VipsImage *in, size_t *length) {
    return vips_image_write_to_memory(in, length);
}

int ipv_width(VipsImage *in) { return vips_image_get_width(in); }
int ipv_height(VipsImage *in) { return vips_image_get_height(in); }
int ipv_bands(VipsImage *in) { return vips_image_get_bands(in); }
int ipv_has_alpha(VipsImage *in) { return vips_image_hasalpha(in); }
void ipv_unref(void *object) { if (object) g_object_unref(object); }
void ipv_free(void *memory) { g_free(memory); }
void ipv_remove_metadata(VipsImage *in, const char *name) { vips_image_remove(in, name); }
void ipv_set_blob(VipsImage *in, const char *name, const void *data, size_t length) {
    vips_image_set_blob_copy(in, name, data, length);
}

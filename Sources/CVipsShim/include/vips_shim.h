// Non-variadic entry points into libvips: Swift cannot call C's variadic functions (libvips
// takes its optional arguments as a NULL-terminated list), so each operation imagepipe uses is
// wrapped here with its options spelled out.
#ifndef IMAGEPIPE_VIPS_SHIM_H
#define IMAGEPIPE_VIPS_SHIM_H
#include <stddef.h>
#include <vips/vips.h>

int ipv_init(void);
/// What libvips' (process-wide) error buffer holds, cleared; the caller frees it with g_free.
char *ipv_take_error(void);

VipsImage *ipv_load(const void *data, size_t length);
/// Resizes straight from encoded bytes (shrink-on-load where the format allows).
/// size: 0 both, 1 up, 2 down, 3 force; crop: -1 none, else a VipsInteresting.
VipsImage *ipv_thumbnail_buffer(const void *data, size_t length, int width, int height, int size, int crop);
VipsImage *ipv_thumbnail_image(VipsImage *in, int width, int height, int size, int crop);
VipsImage *ipv_extract_area(VipsImage *in, int left, int top, int width, int height);
VipsImage *ipv_flatten(VipsImage *in, double r, double g, double b);
/// Centres `in` on a width × height canvas of the given colour (the letterbox of `fit: contain`).
VipsImage *ipv_embed_centre(VipsImage *in, int width, int height, double r, double g, double b);
/// 8-bit sRGB (or sRGB with alpha), whatever the input.
VipsImage *ipv_srgb8(VipsImage *in);
/// An 8-bit single-band luminance copy.
VipsImage *ipv_grey8(VipsImage *in);
/// Resizes to exactly width × height, ignoring the aspect ratio.
VipsImage *ipv_resize_exact(VipsImage *in, int width, int height);

/// format: 0 png, 1 jpeg, 2 webp, 3 avif. quality 1–100 (ignored by png); strip drops metadata.
int ipv_save(VipsImage *in, int format, int quality, int strip, void **data, size_t *length);
/// Pixels as bytes (band-interleaved), for measurements; the caller frees them with g_free.
void *ipv_pixels(VipsImage *in, size_t *length);

int ipv_width(VipsImage *in);
int ipv_height(VipsImage *in);
int ipv_bands(VipsImage *in);
int ipv_has_alpha(VipsImage *in);
void ipv_unref(void *object);
void ipv_free(void *memory);
void ipv_remove_metadata(VipsImage *in, const char *name);
void ipv_set_blob(VipsImage *in, const char *name, const void *data, size_t length);
#endif

/* libFuzzer driver for sg_phone_normalize (src/core/phone_shim.cc over
 * libphonenumber, with the fast path of src/core/phone_fast.cc for E.164 input):
 * every "to" number the API accepts goes through it.
 *
 * The input is read as one NUL-terminated string and normalised twice, with the
 * default region "GB" and with none (NULL). Its digits, after a "+", are
 * normalised too, so that most inputs reach the fast path. Contracts checked,
 * beyond ASan/UBSan (phone.h):
 *  - differential: every call to sg_phone_normalize gives the same status, number
 *    and type as sg_phone_normalize_reference, libphonenumber alone (check
 *    "phone-fast-parity");
 *  - the status is one of the enum's values; input longer than 64 bytes is
 *    INVALID; "GB" is a known region, so it never gives BAD_REGION; "gb" gives
 *    the same answer as "GB";
 *  - BAD_REGION only for input that is not in "+" form (check "phone-bad-region");
 *  - on OK the output is '+' and digits, NUL-terminated within SG_PHONE_MAX, and
 *    the type is one of the enum's values; E.164 allows at most 15 digits
 *    (check "phone-e164-length");
 *  - on OK the output normalises to itself, with the same type, both with no
 *    region and with "GB";
 *  - input that is OK without a region gives the same number with "GB". */
#include "fuzz_common.h"

#include "core/phone.h"

/* sg_phone_normalize, checked against sg_phone_normalize_reference. */
static sg_phone_status normalize(const char *input, const char *region, char e164[SG_PHONE_MAX],
                                 sg_phone_type *type)
{
    char ref[SG_PHONE_MAX];
    sg_phone_type ref_type = SG_PHONE_TYPE_UNKNOWN;
    sg_phone_status st = sg_phone_normalize(input, region, e164, type);
    if (!fuzz_check_enabled("phone-fast-parity"))
        return st;
    sg_phone_status ref_st = sg_phone_normalize_reference(input, region, ref, &ref_type);
    FUZZ_CHECK(st == ref_st, "\"%s\" (%s): status %d, the reference %d", input,
               region ? region : "NULL", (int)st, (int)ref_st);
    if (st == SG_PHONE_OK)
        FUZZ_CHECK(strcmp(e164, ref) == 0 && *type == ref_type,
                   "\"%s\" (%s): \"%s\" %s, the reference \"%s\" %s", input,
                   region ? region : "NULL", e164, sg_phone_type_name(*type), ref,
                   sg_phone_type_name(ref_type));
    return st;
}

/* "+" and the input's digits (at most 20 of them): the fast path's shape, which
 * random bytes seldom have. For "+44 (7400) 123456" this is its canonical form. */
static void check_digits(const char *input)
{
    char plus[24] = "+";
    size_t n = 1;
    for (const char *p = input; *p && n < sizeof plus - 1; p++)
        if (*p >= '0' && *p <= '9')
            plus[n++] = *p;
    plus[n] = '\0';
    const char *regions[] = {NULL, "GB"};
    for (size_t r = 0; r < 2; r++) {
        char out[SG_PHONE_MAX];
        sg_phone_type type = SG_PHONE_TYPE_UNKNOWN;
        normalize(plus, regions[r], out, &type);
    }
}

static void check_e164(const char *input, const char *region, const char e164[SG_PHONE_MAX],
                       sg_phone_type type)
{
    FUZZ_CHECK(memchr(e164, '\0', SG_PHONE_MAX) != NULL, "\"%s\": output not terminated", input);
    size_t len = strlen(e164);
    FUZZ_CHECK(e164[0] == '+', "\"%s\" (%s) gave \"%s\"", input, region ? region : "NULL", e164);
    FUZZ_CHECK(len >= 3 && len < SG_PHONE_MAX, "\"%s\" (%s) gave \"%s\" (%zu chars)", input,
               region ? region : "NULL", e164, len);
    if (fuzz_check_enabled("phone-e164-length"))
        FUZZ_CHECK(len <= 16,
                   "\"%s\" (%s) gave \"%s\": %zu digits, E.164 allows at most 15 (phone.h: "
                   "\"+\" and up to 15 digits)",
                   input, region ? region : "NULL", e164, len - 1);
    for (size_t i = 1; i < len; i++)
        FUZZ_CHECK(e164[i] >= '0' && e164[i] <= '9', "\"%s\" gave \"%s\"", input, e164);
    FUZZ_CHECK(type >= SG_PHONE_TYPE_UNKNOWN && type <= SG_PHONE_TYPE_OTHER, "type %d", (int)type);

    const char *regions[] = {NULL, "GB"};
    for (size_t r = 0; r < 2; r++) {
        char again[SG_PHONE_MAX];
        sg_phone_type type2 = (sg_phone_type)-1;
        sg_phone_status st = normalize(e164, regions[r], again, &type2);
        FUZZ_CHECK(st == SG_PHONE_OK, "\"%s\" -> \"%s\", which gives status %d with region %s",
                   input, e164, (int)st, regions[r] ? regions[r] : "NULL");
        FUZZ_CHECK(strcmp(again, e164) == 0, "\"%s\" -> \"%s\" -> \"%s\" (region %s)", input, e164,
                   again, regions[r] ? regions[r] : "NULL");
        FUZZ_CHECK(type2 == type, "\"%s\" -> \"%s\": type %s, then %s", input, e164,
                   sg_phone_type_name(type), sg_phone_type_name(type2));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 128) /* past 64 bytes everything is INVALID; test a little beyond that */
        return 0;
    char *input = fuzz_cstr(data, size);
    size_t len = strlen(input);
    bool has_plus = strchr(input, '+') != NULL;

    char gb[SG_PHONE_MAX], none[SG_PHONE_MAX];
    sg_phone_type gb_type = SG_PHONE_TYPE_UNKNOWN, none_type = SG_PHONE_TYPE_UNKNOWN;
    sg_phone_status gb_st = normalize(input, "GB", gb, &gb_type);
    sg_phone_status none_st = normalize(input, NULL, none, &none_type);

    FUZZ_CHECK(gb_st == SG_PHONE_OK || gb_st == SG_PHONE_INVALID, "\"%s\" (GB): status %d", input,
               (int)gb_st);
    FUZZ_CHECK(none_st == SG_PHONE_OK || none_st == SG_PHONE_INVALID ||
                   none_st == SG_PHONE_BAD_REGION,
               "\"%s\" (NULL): status %d", input, (int)none_st);
    if (len > 64)
        FUZZ_CHECK(gb_st == SG_PHONE_INVALID && none_st == SG_PHONE_INVALID,
                   "%zu-byte input accepted", len);
    if (none_st == SG_PHONE_BAD_REGION && fuzz_check_enabled("phone-bad-region"))
        FUZZ_CHECK(!has_plus,
                   "\"%s\" is in \"+\" form but gives BAD_REGION without a region (phone.h: "
                   "BAD_REGION only when the input is not in \"+\" form)",
                   input);

    /* phone.h: the region is read without regard to case. */
    char lower[SG_PHONE_MAX];
    sg_phone_type lower_type = SG_PHONE_TYPE_UNKNOWN;
    sg_phone_status lower_st = normalize(input, "gb", lower, &lower_type);
    FUZZ_CHECK(lower_st == gb_st &&
                   (gb_st != SG_PHONE_OK || (strcmp(lower, gb) == 0 && lower_type == gb_type)),
               "\"%s\": region \"gb\" gives status %d, \"GB\" status %d", input, (int)lower_st,
               (int)gb_st);

    if (gb_st == SG_PHONE_OK)
        check_e164(input, "GB", gb, gb_type);
    if (none_st == SG_PHONE_OK) {
        check_e164(input, NULL, none, none_type);
        FUZZ_CHECK(gb_st == SG_PHONE_OK && strcmp(gb, none) == 0,
                   "\"%s\": \"%s\" without a region but status %d \"%s\" with GB", input, none,
                   (int)gb_st, gb_st == SG_PHONE_OK ? gb : "");
    }
    check_digits(input);
    free(input);
    return 0;
}

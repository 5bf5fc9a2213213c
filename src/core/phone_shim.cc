// The C API of core/phone.h over libphonenumber's C++ PhoneNumberUtil. Nothing may
// throw across the extern "C" boundary: every entry point catches everything and
// answers as for an unusable input. PhoneNumberUtil::GetInstance() is a
// process-wide singleton whose const methods are safe to call from many threads.
// Input already in E.164 form is answered by the fast path (phone_fast.cc) when
// it can be sure of libphonenumber's answer; everything else goes through
// libphonenumber, which is also sg_phone_normalize_reference.
#include "core/phone.h"
#include "core/phone_fast.h"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <cstring>
#include <string>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

namespace
{

const size_t kInputMax = 64;

// libphonenumber's Parse is lenient on purpose: it skips leading text ("Tel: "),
// reads "ext. 12" as an extension and turns letters into digits for vanity numbers
// ("1-800-FLOWERS"). A gateway must not send to a number it guessed, so only
// digits, spaces, the usual grouping punctuation and one plus sign before the
// first digit get through.
bool plain_chars(const char *s, size_t len)
{
    static const char allowed[] = "0123456789+-() ./\t";
    bool digit = false, plus = false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\0' || !std::strchr(allowed, s[i]))
            return false;
        if (s[i] == '+') {
            if (plus || digit)
                return false;
            plus = true;
        }
        if (s[i] >= '0' && s[i] <= '9')
            digit = true;
    }
    return digit;
}

// Upper-cases a two-letter region into out[3]; false if it is not two ASCII
// letters (so "gbr", "", NULL and "001" fail here).
bool region_code(const char *region, char out[3])
{
    if (!region)
        return false;
    for (int i = 0; i < 2; i++) {
        char c = region[i];
        if (c >= 'a' && c <= 'z')
            c = static_cast<char>(c - 'a' + 'A');
        if (c < 'A' || c > 'Z')
            return false;
        out[i] = c;
    }
    out[2] = '\0';
    return region[2] == '\0';
}

bool region_known(const char code[3])
{
    // 0 is libphonenumber's answer for a region it has no metadata for.
    return PhoneNumberUtil::GetInstance()->GetCountryCodeForRegion(code) != 0;
}

struct type_map {
    PhoneNumberUtil::PhoneNumberType from;
    sg_phone_type to;
};

// Anything not listed (toll-free, premium, shared cost, VoIP, personal, pager,
// UAN, voicemail) is SG_PHONE_TYPE_OTHER.
const type_map kTypes[] = {
    {PhoneNumberUtil::MOBILE, SG_PHONE_TYPE_MOBILE},
    {PhoneNumberUtil::FIXED_LINE, SG_PHONE_TYPE_FIXED_LINE},
    {PhoneNumberUtil::FIXED_LINE_OR_MOBILE, SG_PHONE_TYPE_FIXED_LINE_OR_MOBILE},
    {PhoneNumberUtil::UNKNOWN, SG_PHONE_TYPE_UNKNOWN},
};

sg_phone_type map_type(PhoneNumberUtil::PhoneNumberType t)
{
    for (const type_map &m : kTypes)
        if (m.from == t)
            return m.to;
    return SG_PHONE_TYPE_OTHER;
}

// Calls on this thread that the fast path answered (sg_phone_fast_path_hits).
thread_local unsigned long fast_hits;

// The end of every OK or INVALID answer: ptype is GetNumberType()'s, number
// (len bytes) the E.164 form.
sg_phone_status answer(PhoneNumberUtil::PhoneNumberType ptype, const char *number, size_t len,
                       char e164[SG_PHONE_MAX], sg_phone_type *type)
{
    // IsValidNumber() is "GetNumberType() is not UNKNOWN" for the number's region;
    // asking once halves the regular-expression work, the costliest part of
    // accepting a message.
    if (ptype == PhoneNumberUtil::UNKNOWN)
        return SG_PHONE_INVALID;
    // E.164 allows at most 15 digits; libphonenumber accepts some longer national
    // numbers (German extensions), which no SMS route takes.
    if (len > 16 || len >= SG_PHONE_MAX)
        return SG_PHONE_INVALID;
    std::memcpy(e164, number, len);
    e164[len] = '\0';
    if (type)
        *type = map_type(ptype);
    return SG_PHONE_OK;
}

// use_fast: false for sg_phone_normalize_reference, which must not depend on the
// code it is the reference for.
sg_phone_status normalize(const char *input, const char *default_region, char e164[SG_PHONE_MAX],
                          sg_phone_type *type, bool use_fast)
{
    if (!input)
        return SG_PHONE_INVALID;
    size_t len = strnlen(input, kInputMax + 1);
    if (len > kInputMax)
        return SG_PHONE_INVALID;
    // "+" and digits: the fast path's answer, when it has one, is libphonenumber's
    // (Format(E164) of such a number is the input itself), and the default region
    // plays no part in reading "+" input.
    PhoneNumberUtil::PhoneNumberType ptype;
    if (use_fast && sg_phone_fast_number_type(input, len, &ptype)) {
        fast_hits++;
        return answer(ptype, input, len, e164, type);
    }
    if (!plain_chars(input, len))
        return SG_PHONE_INVALID;

    char region[3];
    bool have_region = region_code(default_region, region) && region_known(region);
    // "ZZ" is libphonenumber's "no region": international input still parses, and
    // national input fails with INVALID_COUNTRY_CODE_ERROR.
    const char *parse_region = have_region ? region : "ZZ";

    const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
    PhoneNumber number;
    PhoneNumberUtil::ErrorType err = util->Parse(std::string(input, len), parse_region, &number);
    if (err == PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR && !have_region) {
        // Without a usable region, a number that is not in "+" form cannot be read.
        // If it is in "+" form (plain_chars allows a '+' only before the first
        // digit), the calling code itself is bad.
        return std::memchr(input, '+', len) ? SG_PHONE_INVALID : SG_PHONE_BAD_REGION;
    }
    if (err != PhoneNumberUtil::NO_PARSING_ERROR || number.has_extension())
        return SG_PHONE_INVALID;
    ptype = util->GetNumberType(number);
    if (ptype == PhoneNumberUtil::UNKNOWN)
        return SG_PHONE_INVALID;
    std::string out;
    util->Format(number, PhoneNumberUtil::E164, &out);
    return answer(ptype, out.data(), out.size(), e164, type);
}

} // namespace

extern "C" sg_phone_status sg_phone_normalize(const char *input, const char *default_region,
                                              char e164[SG_PHONE_MAX], sg_phone_type *type)
{
    try {
        return normalize(input, default_region, e164, type, true);
    } catch (...) {
        return SG_PHONE_INVALID;
    }
}

extern "C" sg_phone_status sg_phone_normalize_reference(const char *input,
                                                        const char *default_region,
                                                        char e164[SG_PHONE_MAX],
                                                        sg_phone_type *type)
{
    try {
        return normalize(input, default_region, e164, type, false);
    } catch (...) {
        return SG_PHONE_INVALID;
    }
}

extern "C" unsigned long sg_phone_fast_path_hits(void)
{
    return fast_hits;
}

extern "C" bool sg_phone_type_can_sms(sg_phone_type type)
{
    return type != SG_PHONE_TYPE_FIXED_LINE;
}

extern "C" bool sg_phone_region_valid(const char *region)
{
    try {
        char code[3];
        return region_code(region, code) && region_known(code);
    } catch (...) {
        return false;
    }
}

extern "C" const char *sg_phone_type_name(sg_phone_type type)
{
    static const char *const names[] = {
        "unknown",              // SG_PHONE_TYPE_UNKNOWN
        "mobile",               // SG_PHONE_TYPE_MOBILE
        "fixed_line",           // SG_PHONE_TYPE_FIXED_LINE
        "fixed_line_or_mobile", // SG_PHONE_TYPE_FIXED_LINE_OR_MOBILE
        "other",                // SG_PHONE_TYPE_OTHER
    };
    unsigned i = static_cast<unsigned>(type);
    return i < sizeof names / sizeof names[0] ? names[i] : "unknown";
}

static bool region_of(const char *e164, char out[3], bool fast)
{
    try {
        out[0] = '\0';
        if (!e164 || e164[0] != '+' || strnlen(e164, kInputMax + 1) > kInputMax)
            return false;
        bool found;
        if (fast && sg_phone_fast_region(e164, strlen(e164), out, &found))
            return found; // about 1% of libphonenumber's cost (Parse's ICU regexes)
        const PhoneNumberUtil *util = PhoneNumberUtil::GetInstance();
        PhoneNumber number;
        if (util->Parse(std::string(e164), "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR)
            return false;
        std::string region;
        util->GetRegionCodeForNumber(number, &region);
        if (region.size() != 2 || region == "ZZ")
            return false;
        out[0] = region[0];
        out[1] = region[1];
        out[2] = '\0';
        return true;
    } catch (...) {
        return false;
    }
}

extern "C" bool sg_phone_region(const char *e164, char out[3])
{
    return region_of(e164, out, true);
}

extern "C" bool sg_phone_region_reference(const char *e164, char out[3])
{
    return region_of(e164, out, false);
}

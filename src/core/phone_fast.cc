// The fast path of sg_phone_normalize (contract in phone_fast.h): libphonenumber's
// Parse() and GetNumberType() redone for "+" and digits, over libphonenumber's own
// metadata, with PCRE2 (JIT-compiled where the platform allows) in place of ICU's
// regular expressions and of RegExpCache, which hashes every pattern string on
// every lookup. Together they cost about 18 µs a number; this, well under 1 µs.
//
// What libphonenumber 8.12 does with "+<digits>", and what this file keeps of it:
//  - Parse() strips the '+' and takes as calling code the first of the first 1, 2
//    and 3 digits that is a known calling code. If none is, it tries again without
//    the '+', through the default region's international prefix: we decline.
//  - From then on it uses the metadata of the calling code's first region (its
//    main country, "GB" for 44), whatever the default region was.
//  - It strips a national prefix, and perhaps a carrier code, when the main
//    region's national_prefix_for_parsing matches at the start of the national
//    number, and the rest still has a possible length. We decline whenever that
//    pattern can match a non-empty prefix at all (a match of nothing strips
//    nothing), and when the number starts with the national prefix itself.
//  - A national number starting with '0' gets italian_leading_zero: we decline.
//  - GetNumberType() picks the region (GetRegionCodeForNumber: the only one; or
//    the first, main country first, whose leading_digits match at the start or,
//    for a region without leading_digits, whose type is not UNKNOWN; or none,
//    which is UNKNOWN), then runs GetNumberTypeHelper with that region's metadata.
//  - Format(E164) is "+", the calling code and the national number: the input.
// Non-geographic entities (+800, +882, ...) are left to libphonenumber.
#include "core/phone_fast.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <phonenumbers/phonemetadata.pb.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace i18n
{
namespace phonenumbers
{
// Exported by libphonenumber (its generated metadata.cc), declared in no
// installed header: the serialized PhoneMetadataCollection that PhoneNumberUtil
// itself loads when it starts.
int metadata_size();
const void *metadata_get();
} // namespace phonenumbers
} // namespace i18n

using i18n::phonenumbers::PhoneMetadata;
using i18n::phonenumbers::PhoneMetadataCollection;
using i18n::phonenumbers::PhoneNumberDesc;
using i18n::phonenumbers::PhoneNumberUtil;

namespace
{

typedef PhoneNumberUtil::PhoneNumberType NumberType;

const size_t kMinDigits = 3;  // IsViablePhoneNumber wants three digits after a '+'
const size_t kMaxDigits = 15; // E.164
const size_t kMinNsn = 2;     // PhoneNumberUtil::kMinLengthForNsn
const int kMaxCallingCode = 999;

// The number descriptions of a region in the order GetNumberTypeHelper tests
// them, with the type each one gives: the general description first (a number
// that fails it is UNKNOWN), then the special types, then fixed line and mobile,
// which are told apart by the rules in number_type() below.
enum { kGeneral = 0, kFirstSpecial = 1, kFixedLine = 9, kMobile = 10, kDescCount = 11 };

struct DescSpec {
    const PhoneNumberDesc &(PhoneMetadata::*get)() const;
    NumberType type;
};

const DescSpec kDescs[kDescCount] = {
    {&PhoneMetadata::general_desc, PhoneNumberUtil::UNKNOWN},
    {&PhoneMetadata::premium_rate, PhoneNumberUtil::PREMIUM_RATE},
    {&PhoneMetadata::toll_free, PhoneNumberUtil::TOLL_FREE},
    {&PhoneMetadata::shared_cost, PhoneNumberUtil::SHARED_COST},
    {&PhoneMetadata::voip, PhoneNumberUtil::VOIP},
    {&PhoneMetadata::personal_number, PhoneNumberUtil::PERSONAL_NUMBER},
    {&PhoneMetadata::pager, PhoneNumberUtil::PAGER},
    {&PhoneMetadata::uan, PhoneNumberUtil::UAN},
    {&PhoneMetadata::voicemail, PhoneNumberUtil::VOICEMAIL},
    {&PhoneMetadata::fixed_line, PhoneNumberUtil::FIXED_LINE},
    {&PhoneMetadata::mobile, PhoneNumberUtil::MOBILE},
};
static_assert(kDescCount == SG_PHONE_FAST_EXAMPLES, "one example slot per description");

// A number description as IsNumberMatchingDesc reads it: when possible_length
// lists anything, a number of an unlisted length does not match (a list of just
// -1 means no number matches); then national_number_pattern must match the whole
// number, and an empty pattern matches nothing.
struct Desc {
    pcre2_code *pattern = nullptr;
    bool check_length = false;
    uint32_t lengths = 0; // bit n set: n is a listed length (the fast path's are < 32)
};

struct Region {
    const PhoneMetadata *meta = nullptr;
    pcre2_code *leading_digits = nullptr; // set when meta->has_leading_digits()
    bool same_mobile_and_fixed_line = false;
    Desc descs[kDescCount];
};

// The regions of one calling code, in the order of libphonenumber's list for it:
// the main country first, the others in metadata order. Patterns are compiled
// the first time a number with this calling code is seen.
struct CallingCode {
    std::vector<Region *> regions;
    bool non_geographic = false;
    std::once_flag compiled;
    bool usable = false; // written inside call_once: every pattern compiled
    // The main region's national_prefix_for_parsing, anchored at the start and
    // matching only when it can consume at least one digit.
    pcre2_code *national_prefix_nonempty = nullptr;
};

struct Tables {
    PhoneMetadataCollection collection; // owns the strings the regions point into
    std::vector<std::unique_ptr<Region>> regions;
    std::unique_ptr<CallingCode> codes[kMaxCallingCode + 1];
    bool ok = false;
};

// Compiled patterns live as long as the process: pcre2_code is read-only once
// compiled, so threads share them. JIT where the platform has it; pcre2_match
// falls back to the interpreter for a pattern the JIT did not take.
bool compile(const std::string &pattern, uint32_t options, pcre2_code **out)
{
    int err = 0;
    PCRE2_SIZE offset = 0;
    pcre2_code *re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   options, &err, &offset, nullptr);
    if (!re)
        return false;
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    *out = re;
    return true;
}

// Match data is the only state a match writes; each thread keeps its own. One
// pair is enough: only whether a match exists is read (pcre2_match returns 0
// rather than a count when a pattern has more groups than that).
struct ThreadMatchData {
    pcre2_match_data *data = nullptr;
    ~ThreadMatchData()
    {
        pcre2_match_data_free(data);
    }
};

thread_local ThreadMatchData tls_match;

// 1: re matches s[0..n) (as compiled: anchored, perhaps at both ends); 0: it does
// not; -1: PCRE2 could not tell (out of memory, a match or depth limit), and the
// fast path must decline.
int match(const pcre2_code *re, const char *s, size_t n)
{
    if (!tls_match.data) {
        tls_match.data = pcre2_match_data_create(1, nullptr);
        if (!tls_match.data)
            return -1;
    }
    int rc = pcre2_match(re, reinterpret_cast<PCRE2_SPTR>(s), n, 0, 0, tls_match.data, nullptr);
    if (rc >= 0)
        return 1;
    return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

// IsNumberMatchingDesc: 1, 0, or -1 as for match().
int matches_desc(const Desc &d, const char *nsn, size_t n)
{
    if (d.check_length && !((d.lengths >> n) & 1u))
        return 0;
    if (!d.pattern)
        return 0;
    return match(d.pattern, nsn, n);
}

// GetNumberTypeHelper for the national number nsn[0..n) with r's metadata. False
// when a match could not be decided.
bool number_type(const Region &r, const char *nsn, size_t n, NumberType *type)
{
    *type = PhoneNumberUtil::UNKNOWN;
    int m = matches_desc(r.descs[kGeneral], nsn, n);
    if (m <= 0)
        return m == 0;
    for (int i = kFirstSpecial; i < kFixedLine; i++) {
        m = matches_desc(r.descs[i], nsn, n);
        if (m < 0)
            return false;
        if (m) {
            *type = kDescs[i].type;
            return true;
        }
    }
    m = matches_desc(r.descs[kFixedLine], nsn, n);
    if (m < 0)
        return false;
    if (m) {
        // A fixed-line match is FIXED_LINE_OR_MOBILE when the region says the
        // two patterns are the same, or when the number is mobile as well.
        if (r.same_mobile_and_fixed_line) {
            *type = PhoneNumberUtil::FIXED_LINE_OR_MOBILE;
            return true;
        }
        m = matches_desc(r.descs[kMobile], nsn, n);
        if (m < 0)
            return false;
        *type = m ? PhoneNumberUtil::FIXED_LINE_OR_MOBILE : PhoneNumberUtil::FIXED_LINE;
        return true;
    }
    if (r.same_mobile_and_fixed_line)
        return true;
    m = matches_desc(r.descs[kMobile], nsn, n);
    if (m < 0)
        return false;
    if (m)
        *type = PhoneNumberUtil::MOBILE;
    return true;
}

void compile_calling_code(CallingCode &code)
{
    for (Region *r : code.regions) {
        const PhoneMetadata &m = *r->meta;
        // Consume() in libphonenumber: a match at the start, of any length.
        if (m.has_leading_digits() &&
            !compile(m.leading_digits(), PCRE2_ANCHORED, &r->leading_digits))
            return;
        r->same_mobile_and_fixed_line = m.same_mobile_and_fixed_line_pattern();
        for (int i = 0; i < kDescCount; i++) {
            const PhoneNumberDesc &desc = (m.*kDescs[i].get)();
            Desc &d = r->descs[i];
            d.check_length = desc.possible_length_size() > 0;
            for (int len : desc.possible_length())
                if (len >= 0 && len < 32)
                    d.lengths |= 1u << len;
            // FullMatch() in libphonenumber: the whole number.
            const std::string &pattern = desc.national_number_pattern();
            if (!pattern.empty() &&
                !compile(pattern, PCRE2_ANCHORED | PCRE2_ENDANCHORED, &d.pattern))
                return;
        }
    }
    // "(?!\A)" after the pattern: the match must end past the first digit. With
    // PCRE2_ANCHORED, PCRE2 backtracks through every way the pattern can match
    // at the start, so this matches exactly when some non-empty prefix matches,
    // whichever match ICU would have preferred.
    const std::string &npfp = code.regions.front()->meta->national_prefix_for_parsing();
    if (!npfp.empty() &&
        !compile("(?:" + npfp + ")(?!\\A)", PCRE2_ANCHORED, &code.national_prefix_nonempty))
        return;
    code.usable = true;
}

// Reads the metadata into per-calling-code tables, the way PhoneNumberUtil's
// constructor does: "ZZ" skipped; "001" entries are non-geographic entities; a
// region flagged main_country_for_code goes to the front of its calling code's
// list, the others to the back. A duplicated region id (libphonenumber would
// keep the first) makes the tables unusable rather than guessed at.
Tables *build_tables()
{
    std::unique_ptr<Tables> t(new Tables);
    if (!t->collection.ParseFromArray(i18n::phonenumbers::metadata_get(),
                                      i18n::phonenumbers::metadata_size()))
        return t.release();
    std::map<std::string, Region *> by_id;
    std::map<int, Region *> non_geographic;
    bool ok = true;
    for (const PhoneMetadata &m : t->collection.metadata()) {
        t->regions.emplace_back(new Region);
        Region *r = t->regions.back().get();
        r->meta = &m;
        if (m.id() == "ZZ")
            continue;
        int cc = m.country_code();
        if (cc <= 0 || cc > kMaxCallingCode)
            continue; // never the first 1-3 digits of a number: the fast path cannot meet it
        bool geographic = m.id() != "001";
        bool fresh =
            geographic ? by_id.emplace(m.id(), r).second : non_geographic.emplace(cc, r).second;
        if (!fresh)
            ok = false;
        std::unique_ptr<CallingCode> &code = t->codes[cc];
        if (!code)
            code.reset(new CallingCode);
        if (!geographic)
            code->non_geographic = true;
        if (m.main_country_for_code())
            code->regions.insert(code->regions.begin(), r);
        else
            code->regions.push_back(r);
    }
    t->ok = ok;
    return t.release();
}

// Built on first use; C++ makes the initialisation of a function-local static
// thread-safe. Never freed: the patterns are in use until the process exits.
const Tables &tables()
{
    static const Tables *t = build_tables();
    return *t;
}

// The calling code of canonical E.164 input and its national number, when the
// fast path can read them as Parse() would: false when it cannot be sure (the
// caller asks libphonenumber).
bool locate(const char *input, size_t len, CallingCode **out, const char **nsn_out, size_t *n_out)
{
    if (!sg_phone_fast_shape(input, len))
        return false;
    const Tables &t = tables();
    if (!t.ok)
        return false;
    const char *digits = input + 1;
    size_t ndigits = len - 1;

    // ExtractCountryCode: the first known code among the first 1, 2, 3 digits.
    CallingCode *code = nullptr;
    size_t cc_len = 0;
    int cc = 0;
    while (!code && cc_len < 3) {
        cc = cc * 10 + (digits[cc_len] - '0');
        cc_len++;
        code = t.codes[cc].get();
    }
    if (!code || code->non_geographic)
        return false;
    const char *nsn = digits + cc_len;
    size_t n = ndigits - cc_len;
    if (n < kMinNsn || nsn[0] == '0')
        return false;

    std::call_once(code->compiled, compile_calling_code, std::ref(*code));
    if (!code->usable)
        return false;

    // Anything Parse() might read as a national prefix goes to libphonenumber.
    const std::string &np = code->regions.front()->meta->national_prefix();
    if (!np.empty() && n >= np.size() && std::memcmp(nsn, np.data(), np.size()) == 0)
        return false;
    if (code->national_prefix_nonempty && match(code->national_prefix_nonempty, nsn, n) != 0)
        return false;
    *out = code;
    *nsn_out = nsn;
    *n_out = n;
    return true;
}

// GetRegionCodeForNumber (from the list of the calling code's regions), with
// GetNumberTypeHelper's answer for the region found: *region is nullptr (and
// *type UNKNOWN) when no region of a shared calling code claims the number. A
// calling code of one region names it whatever the number, as libphonenumber
// does. False when a match could not be decided.
bool region_of(const CallingCode &code, const char *nsn, size_t n, const Region **region,
               NumberType *type, bool want_type)
{
    *region = nullptr;
    *type = PhoneNumberUtil::UNKNOWN;
    if (code.regions.size() == 1) {
        *region = code.regions.front();
        return !want_type || number_type(**region, nsn, n, type);
    }
    for (const Region *r : code.regions) {
        if (r->leading_digits) {
            int m = match(r->leading_digits, nsn, n);
            if (m < 0)
                return false;
            if (m) {
                *region = r;
                return !want_type || number_type(*r, nsn, n, type);
            }
        } else {
            if (!number_type(*r, nsn, n, type))
                return false;
            if (*type != PhoneNumberUtil::UNKNOWN) {
                *region = r;
                return true;
            }
        }
    }
    *type = PhoneNumberUtil::UNKNOWN; // no region: GetNumberType() has no metadata
    return true;
}

bool fast_number_type(const char *input, size_t len, NumberType *type)
{
    CallingCode *code;
    const char *nsn;
    size_t n;
    const Region *region;
    return locate(input, len, &code, &nsn, &n) && region_of(*code, nsn, n, &region, type, true);
}

} // namespace

bool sg_phone_fast_number_type(const char *input, size_t len, NumberType *type)
{
    try {
        return fast_number_type(input, len, type);
    } catch (...) {
        return false;
    }
}

extern "C" bool sg_phone_fast_region(const char *input, size_t len, char out[3], bool *found)
{
    try {
        CallingCode *code;
        const char *nsn;
        size_t n;
        const Region *region;
        NumberType type;
        if (!locate(input, len, &code, &nsn, &n) ||
            !region_of(*code, nsn, n, &region, &type, false))
            return false;
        *found = region && region->meta->id().size() == 2;
        out[0] = '\0';
        if (*found) {
            out[0] = region->meta->id()[0];
            out[1] = region->meta->id()[1];
            out[2] = '\0';
        }
        return true;
    } catch (...) {
        return false;
    }
}

extern "C" bool sg_phone_fast_shape(const char *input, size_t len)
{
    if (!input || len < 1 + kMinDigits || len > 1 + kMaxDigits)
        return false;
    if (input[0] != '+' || input[1] < '1' || input[1] > '9')
        return false;
    for (size_t i = 2; i < len; i++)
        if (input[i] < '0' || input[i] > '9')
            return false;
    return true;
}

extern "C" bool sg_phone_fast_region_at(size_t i, sg_phone_region_info *out)
{
    try {
        const Tables &t = tables();
        if (!t.ok || i >= static_cast<size_t>(t.collection.metadata_size()))
            return false;
        const PhoneMetadata &m = t.collection.metadata(static_cast<int>(i));
        out->calling_code = m.country_code();
        out->id = m.id().c_str();
        out->national_prefix = m.national_prefix().c_str();
        out->national_prefix_for_parsing = m.national_prefix_for_parsing().c_str();
        for (int k = 0; k < kDescCount; k++) {
            const PhoneNumberDesc &desc = (m.*kDescs[k].get)();
            out->examples[k] = desc.has_example_number() ? desc.example_number().c_str() : nullptr;
        }
        return true;
    } catch (...) {
        return false;
    }
}

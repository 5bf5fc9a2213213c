/* libFuzzer driver for sg_segment_parse and sg_segment_format
 * (src/core/segment_filter.c): the filter text of a saved contact segment comes
 * straight from API users.
 *
 * The input is read as one NUL-terminated string (bytes after an embedded NUL
 * are not seen), up to a little past SG_SEGMENT_TEXT_MAX. Contracts checked,
 * beyond ASan/UBSan/LeakSanitizer (segment_filter.h):
 *  - the result is SG_OK or SG_ERR_INVALID (never INTERNAL);
 *  - on error *out is NULL, the offset is at most the input length, and the
 *    detail is a terminated, non-empty sentence ending " at <offset>";
 *  - text over SG_SEGMENT_TEXT_MAX bytes is refused;
 *  - on success the tree has at most SG_SEGMENT_NODES_MAX nodes (at most
 *    SG_SEGMENT_TERMS_MAX of them tests, the leaves), every kind in
 *    range, TRUE only as the whole tree; it formats, the canonical text is at
 *    most SG_SEGMENT_TEXT_MAX bytes, parses again to an equal tree
 *    (sg_segment_equal), and that tree formats to the same text. */
#include "fuzz_common.h"

#include "core/segment_filter.h"

static size_t count_nodes(const sg_seg_node *n, bool root)
{
    if (!n)
        return 0;
    FUZZ_CHECK(n->kind >= SG_SEG_TRUE && n->kind <= SG_SEG_TIME, "kind %d", (int)n->kind);
    FUZZ_CHECK(root || n->kind != SG_SEG_TRUE, "TRUE below the root");
    bool binary = n->kind == SG_SEG_AND || n->kind == SG_SEG_OR;
    FUZZ_CHECK(!binary || (n->left && n->right), "and/or without both operands");
    FUZZ_CHECK(n->kind != SG_SEG_NOT || (n->left && !n->right), "not without one operand");
    FUZZ_CHECK(binary || n->kind == SG_SEG_NOT || (!n->left && !n->right), "leaf with children");
    FUZZ_CHECK(FUZZ_TERMINATED(n->attr), "attr not terminated");
    return 1 + count_nodes(n->left, false) + count_nodes(n->right, false);
}

static size_t count_tests(const sg_seg_node *n)
{
    if (!n || n->kind == SG_SEG_TRUE)
        return 0;
    if (!n->left && !n->right)
        return 1;
    return count_tests(n->left) + count_tests(n->right);
}

static char *format(const sg_seg_node *n, const char *input)
{
    sg_buf b;
    sg_buf_init(&b, 1 << 20);
    sg_err err = sg_segment_format(n, &b);
    FUZZ_CHECK(err == SG_OK, "\"%s\" parses but does not format: %s", input, sg_strerror(err));
    char *s = sg_buf_steal(&b);
    if (!s)
        abort();
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > SG_SEGMENT_TEXT_MAX + 64)
        return 0;
    char *input = fuzz_cstr(data, size);
    size_t len = strlen(input);

    sg_seg_node *n = NULL;
    sg_seg_error e;
    sg_err err = sg_segment_parse(input, &n, &e);
    FUZZ_CHECK(err == SG_OK || err == SG_ERR_INVALID, "\"%s\": %s", input, sg_strerror(err));
    if (err) {
        FUZZ_CHECK(n == NULL, "\"%s\": a tree with an error", input);
        FUZZ_CHECK(FUZZ_TERMINATED(e.detail), "detail not terminated");
        FUZZ_CHECK(e.offset <= len, "\"%s\": offset %zu past the length %zu (%s)", input, e.offset,
                   len, e.detail);
        char at[32];
        snprintf(at, sizeof at, " at %zu", e.offset);
        size_t dl = strlen(e.detail), al = strlen(at);
        FUZZ_CHECK(dl > al && strcmp(e.detail + dl - al, at) == 0,
                   "\"%s\": detail \"%s\" does not end with \"%s\"", input, e.detail, at);
        free(input);
        return 0;
    }
    FUZZ_CHECK(len <= SG_SEGMENT_TEXT_MAX, "%zu bytes accepted", len);
    FUZZ_CHECK(n != NULL, "\"%s\": SG_OK without a tree", input);
    size_t nodes = count_nodes(n, true);
    FUZZ_CHECK(nodes <= SG_SEGMENT_NODES_MAX, "\"%s\": %zu nodes", input, nodes);
    size_t tests = count_tests(n);
    FUZZ_CHECK(tests <= SG_SEGMENT_TERMS_MAX, "\"%s\": %zu tests", input, tests);

    char *canon = format(n, input);
    FUZZ_CHECK(strlen(canon) <= SG_SEGMENT_TEXT_MAX, "\"%s\": canonical text of %zu bytes", input,
               strlen(canon));
    sg_seg_node *again = NULL;
    err = sg_segment_parse(canon, &again, &e);
    FUZZ_CHECK(err == SG_OK, "\"%s\" -> \"%s\", which fails: %s", input, canon, e.detail);
    FUZZ_CHECK(sg_segment_equal(n, again), "\"%s\" -> \"%s\" parses to a different tree", input,
               canon);
    char *canon2 = format(again, canon);
    FUZZ_CHECK(strcmp(canon, canon2) == 0, "\"%s\" -> \"%s\" -> \"%s\"", input, canon, canon2);

    free(canon2);
    free(canon);
    sg_segment_free(again);
    sg_segment_free(n);
    free(input);
    return 0;
}

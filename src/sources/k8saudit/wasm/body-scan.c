// The webhook body scanner (body-scan.ts documents the index it fills), compiled to WebAssembly by
// build.sh next to this file. One pass over the body's UTF-8 bytes that:
// - checks the grammar JSON.parse accepts (RFC 8259: no control characters in strings, only the
//   defined escapes, numbers without leading zeros, nothing after the top-level value) and that
//   the bytes are valid UTF-8 (what Node decodes without replacement characters);
// - records where the top-level value, the list's elements and their known members lie, as
//   offsets in UTF-16 code units of the decoded text (what String.prototype.slice takes).
// It returns an error for anything it does not vouch for; the caller then parses the body with
// JSON.parse (the reference path), which gives the error text for invalid JSON; the offset where
// the body stops being JSON comes from here (V8's messages do not always give one).
// Freestanding: no libc (compiled with -nostdlib; fill loops become memory.fill, -mbulk-memory);
// string contents are scanned 16 bytes at a time
// (WebAssembly SIMD), which needs 16 readable bytes after the body (the caller pads with zeros).
#include <wasm_simd128.h>

#define QUOTE '"'
#define MAX_DEPTH 200

// Must match KNOWN_KEYS and the row layout in body-scan.ts.
static const char *const KEYS[] = {
    "kind", "apiVersion", "level", "auditID", "stage", "requestURI", "verb", "user", "impersonatedUser", "sourceIPs",
    "userAgent", "objectRef", "responseStatus", "requestObject", "responseObject", "requestReceivedTimestamp",
    "stageTimestamp", "annotations", "cluster_name", "metadata", "items",
};
#define KEY_COUNT ((int)(sizeof KEYS / sizeof KEYS[0]))
#define KEY_ITEMS 20
#define ROW_START 0
#define ROW_END 1
#define ROW_FLAGS 2
#define ROW_MEMBERS 3
// Second level: members of the small objects nearly every rule reads, by parent key.
#define KEY_USER 7
#define KEY_OBJECT_REF 11
#define KEY_RESPONSE_STATUS 12
#define KEY_ANNOTATIONS 17
static const char *const SUBS[] = {
    "resource", "subresource", "name", "namespace", "apiGroup", "apiVersion", // objectRef
    "username", "groups",                                                      // user
    "authorization.k8s.io/decision", "authorization.k8s.io/reason",           // annotations
    "code", "reason",                                                          // responseStatus
};
#define SUB_COUNT ((int)(sizeof SUBS / sizeof SUBS[0]))
#define ROW_SUBS (ROW_MEMBERS + 2 * KEY_COUNT)
#define ROW_STRIDE (ROW_SUBS + 2 * SUB_COUNT)
#define FLAG_OBJECT 1
#define FLAG_OTHER_KEYS 2
#define FLAG_ESCAPED_KEY 4
#define FLAG_SUBS 8          // the row's second-level slots are filled (list elements)
#define FLAG_SUB_ESCAPED 16  // a key inside one of those objects is escaped: the slots may miss it

// Header written before the rows: all bytes ASCII, rows used, list elements, top level is an array.
#define HEADER 4

static unsigned char containers[MAX_DEPTH + 2]; // per depth: 1 array, 0 object
static const unsigned char *p;
static int n;
static int delta; // bytes minus UTF-16 code units before the current position
static int *table;
static int capacity_rows;
static int rows;
static int list_depth;
static int top_key;
static int item_key;
static int sub_parent; // the list element's member whose object's members go to the SUBS slots, -1: none
static int sub_key;    // the SUBS slot whose value is being read, -1: none

static int same(int from, const char *key, int len) {
  for (int j = 0; j < len; j++)
    if ((unsigned char)key[j] != p[from + j]) return 0;
  return key[len] == 0;
}

// The KEYS index of the key at `from` (`len` bytes), or -1: candidates picked by length and a
// distinguishing byte, then compared whole.
static int key_id(int from, int len) {
  unsigned c0 = p[from];
  int k = -1;
  switch (len) {
    case 4: k = c0 == 'k' ? 0 : c0 == 'v' ? 6 : c0 == 'u' ? 7 : -1; break;
    case 5: k = c0 == 'l' ? 2 : c0 == 's' ? 4 : c0 == 'i' ? 20 : -1; break;
    case 7: k = 3; break;
    case 8: k = 19; break;
    case 9: k = c0 == 's' ? 9 : c0 == 'u' ? 10 : c0 == 'o' ? 11 : -1; break;
    case 10: k = c0 == 'a' ? 1 : c0 == 'r' ? 5 : -1; break;
    case 11: k = 17; break;
    case 12: k = 18; break;
    case 13: k = 13; break;
    case 14: k = c0 == 's' ? 16 : p[from + 8] == 'S' ? 12 : 14; break;
    case 16: k = 8; break;
    case 24: k = 15; break;
  }
  return k >= 0 && same(from, KEYS[k], len) ? k : -1;
}

static int is_hex(unsigned c) { return (c - '0' < 10u) || ((c | 0x20) - 'a' < 6u); }
static int is_cont(unsigned c) { return (c & 0xc0) == 0x80; }

// Index just past the string opening at i; -1 if invalid. *escaped: it holds an escape.
static int high_bytes; // a byte >= 0x80 was seen
static int failed_at;  // where the body stopped being JSON

#define UNSUPPORTED (-3)
static int syntax(int at) {
  failed_at = at;
  return -1;
}

/** After scan returned -1: the byte offset where the body stops being JSON. */
__attribute__((export_name("failed_at"))) int failed_at_offset(void) { return failed_at; }

static int string_end(int i, int *escaped) {
  i++;
  const v128_t quote = wasm_i8x16_splat(QUOTE), backslash = wasm_i8x16_splat('\\'), space = wasm_i8x16_splat(0x20);
  for (;;) {
    // to the next byte that is a quote, a backslash, a control character or not ASCII
    for (;;) {
      v128_t v = wasm_v128_load(p + i);
      v128_t stop = wasm_v128_or(wasm_v128_or(wasm_i8x16_eq(v, quote), wasm_i8x16_eq(v, backslash)), wasm_u8x16_lt(v, space));
      int mask = wasm_i8x16_bitmask(stop) | wasm_i8x16_bitmask(v); // bitmask(v): bytes >= 0x80
      if (mask != 0) {
        i += __builtin_ctz((unsigned)mask);
        break;
      }
      i += 16;
    }
    if (i >= n) return syntax(n);
    unsigned c = p[i];
    if (c == QUOTE) return i + 1;
    if (c < 0x20) return syntax(i);
    if (c == '\\') {
      *escaped = 1;
      if (i + 1 >= n) return syntax(n);
      unsigned e = p[i + 1];
      if (e == 'u') {
        if (i + 5 >= n || !is_hex(p[i + 2]) || !is_hex(p[i + 3]) || !is_hex(p[i + 4]) || !is_hex(p[i + 5])) return syntax(i);
        i += 6;
      } else if (e == QUOTE || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
        i += 2;
      } else {
        return syntax(i);
      }
      continue;
    }
    // UTF-8: 2, 3 or 4 bytes, no overlong forms, no surrogates, at most U+10FFFF
    high_bytes = 1;
    if (c >= 0xc2 && c <= 0xdf) {
      if (i + 1 >= n || !is_cont(p[i + 1])) return UNSUPPORTED;
      delta += 1;
      i += 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      if (i + 2 >= n || !is_cont(p[i + 1]) || !is_cont(p[i + 2])) return UNSUPPORTED;
      if (c == 0xe0 && p[i + 1] < 0xa0) return UNSUPPORTED;
      if (c == 0xed && p[i + 1] > 0x9f) return UNSUPPORTED;
      delta += 2;
      i += 3;
    } else if (c >= 0xf0 && c <= 0xf4) {
      if (i + 3 >= n || !is_cont(p[i + 1]) || !is_cont(p[i + 2]) || !is_cont(p[i + 3])) return UNSUPPORTED;
      if (c == 0xf0 && p[i + 1] < 0x90) return UNSUPPORTED;
      if (c == 0xf4 && p[i + 1] > 0x8f) return UNSUPPORTED;
      delta += 2; // 4 bytes, a surrogate pair
      i += 4;
    } else {
      return UNSUPPORTED;
    }
  }
}

static int scalar_end(int i) {
  unsigned c = p[i];
  if (c == 't') return (i + 3 < n && p[i + 1] == 'r' && p[i + 2] == 'u' && p[i + 3] == 'e') ? i + 4 : syntax(i);
  if (c == 'f') return (i + 4 < n && p[i + 1] == 'a' && p[i + 2] == 'l' && p[i + 3] == 's' && p[i + 4] == 'e') ? i + 5 : syntax(i);
  if (c == 'n') return (i + 3 < n && p[i + 1] == 'u' && p[i + 2] == 'l' && p[i + 3] == 'l') ? i + 4 : syntax(i);
#define DIGIT(k) ((k) < n && p[k] - '0' < 10u)
  if (c == '-') i++;
  if (i < n && p[i] == '0') i++;
  else if (DIGIT(i)) {
    while (DIGIT(i)) i++;
  } else return syntax(i);
  if (i < n && p[i] == '.') {
    i++;
    if (!DIGIT(i)) return syntax(i);
    while (DIGIT(i)) i++;
  }
  if (i < n && (p[i] == 'e' || p[i] == 'E')) {
    i++;
    if (i < n && (p[i] == '+' || p[i] == '-')) i++;
    if (!DIGIT(i)) return syntax(i);
    while (DIGIT(i)) i++;
  }
  return i;
}

static int skip_ws(int i) {
  while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t')) i++;
  return i;
}

static int *row_at(int r) { return table + HEADER + r * ROW_STRIDE; }

// The SUBS range of parent `parent` (first, count), or count 0.
static int subs_of(int parent, int *first) {
  switch (parent) {
    case KEY_OBJECT_REF: *first = 0; return 6;
    case KEY_USER: *first = 6; return 2;
    case KEY_ANNOTATIONS: *first = 8; return 2;
    case KEY_RESPONSE_STATUS: *first = 10; return 2;
  }
  return 0;
}

static int sub_id(int parent, int from, int len) {
  int first;
  int count = subs_of(parent, &first);
  for (int k = first; k < first + count; k++)
    if (same(from, SUBS[k], len)) return k;
  return -1;
}

// A value ended at byte `pos`, its container now at `depth`.
static void ended(int depth, int pos) {
  int at = pos - delta;
  if (sub_key >= 0 && depth == list_depth + 2) {
    row_at(rows)[ROW_SUBS + 2 * sub_key + 1] = at;
    sub_key = -1;
  } else if (item_key >= 0 && depth == list_depth + 1) {
    row_at(rows)[ROW_MEMBERS + 2 * item_key + 1] = at;
    item_key = -1;
    sub_parent = -1;
  } else if (top_key >= 0 && depth == 1) {
    row_at(0)[ROW_MEMBERS + 2 * top_key + 1] = at;
    top_key = -1;
  }
  if (depth == list_depth) row_at(rows++)[ROW_END] = at;
  else if (depth == 0) row_at(0)[ROW_END] = at;
}

static void fill_row(int r) {
  int *row = row_at(r);
  for (int k = 0; k < ROW_STRIDE; k++) row[k] = -1;
}

enum { VALUE, AFTER_VALUE, KEY_OR_CLOSE, KEY, VALUE_OR_CLOSE };

/**
 * Scans `len` bytes at `body`, writing the header and rows at `out` (room for `cap` rows).
 * Returns 0 when done, -1 when the body is not JSON (failed_at says where), -2 when the rows did
 * not fit, -3 when the body is JSON this scan does not index (too deep, not UTF-8 inside a string).
 */
__attribute__((export_name("scan"))) int scan(const unsigned char *body, int len, int *out, int cap) {
  p = body;
  n = len;
  table = out;
  capacity_rows = cap;
  delta = 0;
  high_bytes = 0;
  rows = 1;
  list_depth = -1;
  top_key = -1;
  item_key = -1;
  sub_parent = -1;
  sub_key = -1;
  int list_seen = 0;
  int depth = 0;
  int items_next = 0;
  fill_row(0);
  containers[1] = 0;
  int i = skip_ws(0);
  if (i >= n || (p[i] != '{' && p[i] != '[')) return syntax(i);
  int want = VALUE;
  for (;;) {
    i = skip_ws(i);
    if (i >= n) {
      if (want == AFTER_VALUE && depth == 0) break;
      return syntax(n);
    }
    unsigned c = p[i];
    if (want == VALUE || want == VALUE_OR_CLOSE) {
      if (want == VALUE_OR_CLOSE && c == ']') {
        if (depth == list_depth) list_depth = -1;
        ended(--depth, ++i);
        want = AFTER_VALUE;
        continue;
      }
      if (depth == list_depth) {
        if (rows + 1 >= capacity_rows) return -2;
        fill_row(rows);
        row_at(rows)[ROW_START] = i - delta;
        row_at(rows)[ROW_FLAGS] = c == '{' ? FLAG_OBJECT | FLAG_SUBS : 0;
      }
      if (c == QUOTE) {
        int escaped = 0;
        i = string_end(i, &escaped);
        if (i < 0) return i;
      } else if (c == '{' || c == '[') {
        if (depth >= MAX_DEPTH) return UNSUPPORTED;
        int is_arr = c == '[';
        if (depth == 0) {
          row_at(0)[ROW_START] = i - delta;
          row_at(0)[ROW_FLAGS] = is_arr ? 0 : FLAG_OBJECT;
          if (is_arr) list_depth = 1;
          list_seen = is_arr;
        } else if (depth == 1 && items_next && is_arr) {
          list_depth = 2;
          list_seen = 1;
          rows = 1; // a later "items" member wins, as in JSON.parse
        }
        items_next = 0;
        containers[++depth] = (unsigned char)is_arr;
        i++;
        want = is_arr ? VALUE_OR_CLOSE : KEY_OR_CLOSE;
        continue;
      } else {
        i = scalar_end(i);
        if (i < 0) return i;
      }
      items_next = 0;
      want = AFTER_VALUE;
      ended(depth, i);
      continue;
    }
    if (want == AFTER_VALUE) {
      if (depth == 0) return syntax(i); // something after the top-level value
      int in_array = containers[depth] == 1;
      if (c == ',') {
        i++;
        want = in_array ? VALUE : KEY;
        continue;
      }
      if (c != (in_array ? ']' : '}')) return syntax(i);
      if (depth == list_depth) list_depth = -1;
      ended(--depth, ++i);
      continue;
    }
    // KEY or KEY_OR_CLOSE
    if (want == KEY_OR_CLOSE && c == '}') {
      ended(--depth, ++i);
      want = AFTER_VALUE;
      continue;
    }
    if (c != QUOTE) return syntax(i);
    int escaped = 0;
    int end = string_end(i, &escaped);
    if (end < 0) return end;
    // the members recorded: the top-level object's (row 0) and each list element's
    int row = depth == 1 ? 0 : depth == list_depth + 1 ? rows : -1;
    int key = -1;
    if (row < 0 && sub_parent >= 0 && depth == list_depth + 2) {
      int sub = escaped ? -1 : sub_id(sub_parent, i + 1, end - i - 2);
      if (escaped) row_at(rows)[ROW_FLAGS] |= FLAG_SUB_ESCAPED;
      sub_key = sub;
      if (sub >= 0) {
        int *slot = row_at(rows) + ROW_SUBS + 2 * sub;
        int v = skip_ws(skip_ws(end) + 1);
        slot[0] = v - delta; // the last duplicate wins
        slot[1] = -1;
      }
    }
    if (row >= 0) {
      key = escaped ? -1 : key_id(i + 1, end - i - 2);
      if (key < 0) row_at(row)[ROW_FLAGS] |= FLAG_OTHER_KEYS;
      if (escaped) row_at(row)[ROW_FLAGS] |= FLAG_ESCAPED_KEY;
      items_next = row == 0 && key == KEY_ITEMS;
    }
    i = skip_ws(end);
    if (i >= n || p[i] != ':') return syntax(i < n ? i : n);
    i = skip_ws(i + 1);
    if (row >= 0) {
      if (row == 0) top_key = key;
      else {
        item_key = key;
        // a member holding one of the small objects: its members go to the SUBS slots (cleared:
        // a repeated member replaces the earlier object whole, as in JSON.parse)
        int first = 0;
        int count = key >= 0 ? subs_of(key, &first) : 0;
        sub_parent = count > 0 && i < n && p[i] == '{' ? key : -1;
        for (int k = first; k < first + count; k++) row_at(row)[ROW_SUBS + 2 * k] = row_at(row)[ROW_SUBS + 2 * k + 1] = -1;
      }
      if (key >= 0) {
        int *slot = row_at(row) + ROW_MEMBERS + 2 * key;
        slot[0] = i - delta; // a duplicate key: the last one wins, as in JSON.parse
        slot[1] = -1;
      }
    }
    want = VALUE;
  }
  out[0] = !high_bytes;
  out[1] = rows;
  out[2] = list_seen ? rows - 1 : 0;
  out[3] = containers[1] == 1;
  return 0;
}

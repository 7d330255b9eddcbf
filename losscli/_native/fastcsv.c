/*
 * losscli._fastcsv: a CSV/TSV block scanner for the common case of evaluation
 * files (numbers, and at most a few short text columns), used by
 * losscli/readers.py before Arrow's general CSV reader.
 *
 * Why it exists: on a 10M-row, two-column file Arrow's CSV reader spends about
 * 2 CPU-seconds tokenising and converting (it is general: type inference, null
 * spellings, quoting rules, per-column builders); this scanner does the same
 * block in about a quarter of that (notes/perf.md, "C scanner").
 *
 * Contract (tests/test_fastcsv.py holds it to this, value by value, bit by bit):
 * it either returns exactly what Arrow's reader would return for the block, or it
 * declines ("unsupported") and the caller parses that block with Arrow. So it
 * never raises an input error of its own, and everything unusual -- an empty or
 * null-like cell, a quoted number, a ragged row, an escaped quote, a bare CR,
 * a blank line, "nan", "inf", "+1", ".5", whitespace, a result that overflows
 * or underflows -- is declined rather than interpreted.
 *
 * Numbers are converted with correct rounding (round-half-even of the exact
 * decimal value, as Arrow's fast_float and Python's float() do): Clinger's exact
 * fast path when the mantissa fits in 53 bits and |exponent| <= 22, otherwise
 * the Eisel-Lemire algorithm (as in Go's strconv and fast_float), otherwise the
 * C library's strtod (correctly rounded in glibc and musl).
 *
 * The GIL is released while a block is scanned, so the reader's two pool
 * threads scan two blocks at once.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <math.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pow10.h"

#if !defined(__SIZEOF_INT128__)
#error "fastcsv needs a compiler with unsigned __int128 (gcc, clang)"
#endif

static const double EXACT10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* m * 10^e10 for m != 0; 0 when the result needs more care (the caller then
 * uses strtod). A transcription of Go's strconv.eiselLemire64. */
static int
eisel_lemire(uint64_t man, int64_t exp10, int neg, double *out)
{
    if (exp10 < POW10_MIN_EXP || exp10 > POW10_MAX_EXP) {
        return 0;
    }
    int clz = __builtin_clzll(man);
    man <<= clz;
    uint64_t ret_exp2 = (uint64_t)(((217706 * exp10) >> 16) + 64 + 1023) - (uint64_t)clz;
    const uint64_t *pw = POW10[exp10 - POW10_MIN_EXP];
    unsigned __int128 x = (unsigned __int128)man * pw[1];
    uint64_t x_hi = (uint64_t)(x >> 64), x_lo = (uint64_t)x;
    if ((x_hi & 0x1FF) == 0x1FF && x_lo + man < man) {
        /* the truncated high half leaves the rounding undecided: widen */
        unsigned __int128 y = (unsigned __int128)man * pw[0];
        uint64_t y_hi = (uint64_t)(y >> 64), y_lo = (uint64_t)y;
        uint64_t m_hi = x_hi, m_lo = x_lo + y_hi;
        if (m_lo < x_lo) {
            m_hi++;
        }
        if ((m_hi & 0x1FF) == 0x1FF && m_lo + 1 == 0 && y_lo + man < man) {
            return 0;
        }
        x_hi = m_hi;
        x_lo = m_lo;
    }
    uint64_t msb = x_hi >> 63;
    uint64_t mant = x_hi >> (msb + 9);
    ret_exp2 -= 1 ^ msb;
    if (x_lo == 0 && (x_hi & 0x1FF) == 0 && (mant & 3) == 1) {
        return 0; /* exactly half-way: let strtod round it */
    }
    mant += mant & 1;
    mant >>= 1;
    if (mant >> 53) {
        mant >>= 1;
        ret_exp2 += 1;
    }
    if (ret_exp2 - 1 >= 0x7FF - 1) {
        return 0; /* subnormal, zero, or overflow */
    }
    uint64_t bits = (ret_exp2 << 52) | (mant & 0x000FFFFFFFFFFFFFULL);
    if (neg) {
        bits |= 0x8000000000000000ULL;
    }
    memcpy(out, &bits, sizeof bits);
    return 1;
}

static inline int
is_digit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

/* The value of eight ASCII digits packed little-endian in v (fast_float's SWAR). */
static inline uint64_t
eight_digits_value(uint64_t v)
{
    v -= 0x3030303030303030ULL;
    v = (v * 10) + (v >> 8);
    v = (((v & 0x000000FF000000FFULL) * 0x000F424000000064ULL) +
         (((v >> 16) & 0x000000FF000000FFULL) * 0x0000271000000001ULL)) >>
        32;
    return (uint32_t)v;
}

static const uint64_t POW10_INT[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                      100000000};

/* Append the run of digits at *pp to *m (m * 10^k + digits, wrapping past 19
 * digits: the caller recounts then). Returns the number of digits k. Eight bytes
 * are looked at at a time: the first non-digit among them is found with bit
 * tricks, and the digits before it are converted in one go. */
static inline int64_t
digit_run(const char **pp, const char *end, uint64_t *m)
{
    const char *p = *pp, *start = p;
    uint64_t acc = *m;
    while (end - p >= 8) {
        uint64_t v;
        memcpy(&v, p, sizeof v); /* little-endian: p[0] is the low byte */
        /* each byte becomes 0x33 iff it is a digit (a carry out of a byte >= 0xFA
         * can only spoil bytes after the first non-digit, which are not used) */
        uint64_t t = (v & 0xF0F0F0F0F0F0F0F0ULL) |
                     (((v + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) >> 4);
        uint64_t x = t ^ 0x3333333333333333ULL;
        if (x == 0) {
            acc = acc * 100000000ULL + eight_digits_value(v);
            p += 8;
            continue;
        }
        int k = __builtin_ctzll(x) >> 3; /* digits before the first non-digit */
        if (k) {
            /* keep the k digits, as the high bytes, behind 8 - k leading '0's */
            v = (v << (8 * (8 - k))) | (0x3030303030303030ULL >> (8 * k));
            acc = acc * POW10_INT[k] + eight_digits_value(v);
            p += k;
        }
        *pp = p;
        *m = acc;
        return p - start;
    }
    while (p < end && is_digit(*p)) {
        acc = acc * 10 + (uint64_t)(*p - '0');
        p++;
    }
    *pp = p;
    *m = acc;
    return p - start;
}

/* The number at p: -?D+(.D+)?([eE][+-]?D+)?, up to end. Returns a pointer just
 * past it, with its value in *out if that is a finite normal number or zero;
 * NULL to decline. The caller checks what follows (a delimiter or line end). */
static const char *
parse_number(const char *p, const char *end, double *out)
{
    const char *s = p;
    int neg = 0;
    uint64_t m = 0; /* every digit, wrapping past 19: then the digits are recounted */
    int64_t e10 = 0;
    if (p < end && *p == '-') {
        neg = 1;
        p++;
    }
    const char *digits = p;
    if (digit_run(&p, end, &m) == 0) {
        return NULL;
    }
    const char *int_end = p;
    if (p < end && *p == '.') {
        p++;
        int64_t nfrac = digit_run(&p, end, &m);
        if (nfrac == 0) {
            return NULL;
        }
        e10 = -nfrac;
    }
    const char *mant_end = p;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0;
        if (p < end && (*p == '+' || *p == '-')) {
            eneg = *p == '-';
            p++;
        }
        const char *edigits = p;
        int64_t ex = 0;
        while (p < end && is_digit(*p)) {
            if (ex < 100000) {
                ex = ex * 10 + (*p - '0');
            }
            p++;
        }
        if (p == edigits) {
            return NULL;
        }
        e10 += eneg ? -ex : ex;
    }
    int64_t ndigits = (int64_t)(int_end - digits) + (mant_end > int_end ? mant_end - int_end - 1 : 0);
    int long_mantissa = 0;
    if (ndigits > 19) {
        /* leading zeros do not count ("0.000…"): recount from the first non-zero */
        for (const char *q = digits; q < mant_end && (*q == '0' || *q == '.'); q++) {
            ndigits -= *q == '0';
        }
        long_mantissa = ndigits > 19;
    }
    if (!long_mantissa) {
        if (m == 0) {
            *out = neg ? -0.0 : 0.0;
            return p;
        }
        if (m <= (1ULL << 53) && e10 >= -22 && e10 <= 22) {
            double d = (double)m; /* exact */
            d = e10 < 0 ? d / EXACT10[-e10] : d * EXACT10[e10];
            *out = neg ? -d : d;
            return p;
        }
        if (eisel_lemire(m, e10, neg, out)) {
            return p;
        }
    }
    /* rare: more than 19 significant digits, a half-way case, or near the limits */
    char buf[512];
    size_t n = (size_t)(p - s);
    if (n >= sizeof buf) {
        return NULL;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *stop = NULL;
    errno = 0;
    double v = strtod(buf, &stop);
    if (stop != buf + n || errno == ERANGE || !isfinite(v) || v == 0.0) {
        return NULL; /* overflow, underflow, or a zero Eisel-Lemire did not see */
    }
    *out = v;
    return p;
}

/* --------------------------------------------------------------- text columns */

/* First-appearance dictionary of one text column within one block: the codes
 * Arrow's dictionary<int32, string> conversion gives (it also numbers values in
 * order of first appearance). Labels point into the block. */
typedef struct {
    int32_t *slots; /* entry index + 1, 0 = empty */
    size_t cap;     /* power of two */
    const char **ptr;
    size_t *len;
    uint64_t *hash;
    size_t n, room;
} dict_t;

static void
dict_free(dict_t *d)
{
    free(d->slots);
    free(d->ptr);
    free(d->len);
    free(d->hash);
    memset(d, 0, sizeof *d);
}

/* FNV-1a, one byte at a time, computed while the field is scanned */
#define FNV_OFFSET 1469598103934665603ULL
#define FNV_STEP(h, c) (((h) ^ (unsigned char)(c)) * 1099511628211ULL)

static int
dict_grow(dict_t *d)
{
    size_t cap = d->cap ? d->cap * 2 : 256;
    int32_t *slots = calloc(cap, sizeof *slots);
    if (!slots) {
        return 0;
    }
    for (size_t i = 0; i < d->n; i++) {
        size_t j = (size_t)d->hash[i] & (cap - 1);
        while (slots[j]) {
            j = (j + 1) & (cap - 1);
        }
        slots[j] = (int32_t)(i + 1);
    }
    free(d->slots);
    d->slots = slots;
    d->cap = cap;
    return 1;
}

/* The code of s[0:n] (whose hash is h), added if new; -1 when out of memory or
 * too many labels. */
static int32_t
dict_code(dict_t *d, const char *s, size_t n, uint64_t h)
{
    if ((d->n + 1) * 2 > d->cap && !dict_grow(d)) {
        return -1;
    }
    size_t j = (size_t)h & (d->cap - 1);
    while (d->slots[j]) {
        size_t i = (size_t)d->slots[j] - 1;
        if (d->hash[i] == h && d->len[i] == n && memcmp(d->ptr[i], s, n) == 0) {
            return (int32_t)i;
        }
        j = (j + 1) & (d->cap - 1);
    }
    if (d->n >= INT32_MAX - 1) {
        return -1;
    }
    if (d->n == d->room) {
        size_t room = d->room ? d->room * 2 : 64;
        const char **ptr = realloc(d->ptr, room * sizeof *ptr);
        if (ptr) {
            d->ptr = ptr;
        }
        size_t *len = realloc(d->len, room * sizeof *len);
        if (len) {
            d->len = len;
        }
        uint64_t *hash = realloc(d->hash, room * sizeof *hash);
        if (hash) {
            d->hash = hash;
        }
        if (!ptr || !len || !hash) {
            return -1;
        }
        d->room = room;
    }
    d->ptr[d->n] = s;
    d->len[d->n] = n;
    d->hash[d->n] = h;
    d->slots[j] = (int32_t)(d->n + 1);
    return (int32_t)d->n++;
}

/* ------------------------------------------------------------------- scanner */

/* Any number of outputs (a 100-class file has 100 probability columns, a
 * comparison file hundreds of models): the per-output arrays are allocated for
 * nout entries, not bounded by a constant. */
typedef struct {
    const char *buf;
    size_t len;
    int ncols;
    int nout;
    int *out_of_col; /* ncols entries: output index, or -1 */
    char *kinds;     /* nout entries */
    char delim;
    int skip_header;
    void **data;  /* nout entries: double * or int32_t * per output (malloc'd, grown) */
    size_t cap;   /* rows data[] has room for */
    dict_t *dicts; /* nout entries */
    size_t rows;
    const char *why;
    size_t where; /* byte offset of the declined field or row */
} scan_t;

/* Twice the room in every output (no GIL needed: plain realloc). */
static int
grow(scan_t *sc)
{
    size_t cap = sc->cap * 2;
    for (int i = 0; i < sc->nout; i++) {
        size_t width = sc->kinds[i] == 'f' ? sizeof(double) : sizeof(int32_t);
        void *data = realloc(sc->data[i], cap * width);
        if (!data) {
            return 0;
        }
        sc->data[i] = data;
    }
    sc->cap = cap;
    return 1;
}

#define DECLINE(msg)                      \
    do {                                  \
        sc->why = (msg);                  \
        sc->where = (size_t)(p - sc->buf); \
        return 0;                         \
    } while (0)

static int
scan(scan_t *sc)
{
    const char *p = sc->buf, *end = sc->buf + sc->len;
    const char delim = sc->delim;
    const int last = sc->ncols - 1;
    if (sc->skip_header) {
        int inq = 0;
        while (p < end) {
            char c = *p++;
            if (c == '"') {
                inq = !inq;
            } else if (c == '\n' && !inq) {
                break;
            }
        }
    }
    size_t row = 0;
    while (p < end) {
        if (row == sc->cap && !grow(sc)) {
            DECLINE("out of memory");
        }
        for (int col = 0;; col++) {
            if (col > last) {
                DECLINE("more fields than the header");
            }
            int o = sc->out_of_col[col];
            if (o >= 0 && sc->kinds[o] == 'f') {
                /* a number, parsed where it stands; a quoted one is declined */
                const char *q = parse_number(p, end, (double *)sc->data[o] + row);
                if (!q || (q < end && *q != delim && *q != '\n' && *q != '\r')) {
                    DECLINE("not a plain number");
                }
                p = q;
            } else {
                /* text (or a column not asked for): one pass finds the field's end
                 * and hashes it */
                const char *fs, *fe;
                const int want = o >= 0; /* (a loop-invariant branch: gcc unswitches it) */
                uint64_t h = FNV_OFFSET;
                if (*p == '"') {
                    fs = ++p;
                    while (p < end && *p != '"') {
                        if (*p == '\n' || *p == '\r') {
                            DECLINE("line break inside quotes");
                        }
                        if (want) {
                            h = FNV_STEP(h, *p);
                        }
                        p++;
                    }
                    if (p == end) {
                        DECLINE("unterminated quote");
                    }
                    fe = p++;
                    if (p < end && *p != delim && *p != '\n' && *p != '\r') {
                        DECLINE("text after a closing quote"); /* or an escaped quote */
                    }
                } else {
                    fs = p;
                    while (p < end && *p != delim && *p != '\n' && *p != '\r' && *p != '"') {
                        if (want) {
                            h = FNV_STEP(h, *p);
                        }
                        p++;
                    }
                    if (p < end && *p == '"') {
                        DECLINE("quote inside a field");
                    }
                    fe = p;
                }
                if (want) {
                    if (fe == fs) {
                        DECLINE("empty text"); /* Arrow: null */
                    }
                    int32_t code = dict_code(&sc->dicts[o], fs, (size_t)(fe - fs), h);
                    if (code < 0) {
                        DECLINE("out of memory");
                    }
                    ((int32_t *)sc->data[o])[row] = code;
                }
            }
            if (p == end) {
                if (col != last) {
                    DECLINE("fewer fields than the header");
                }
                row++;
                break;
            }
            if (*p == delim) {
                p++;
                if (p == end) {
                    DECLINE("delimiter at the end");
                }
                continue;
            }
            if (*p == '\r') {
                p++;
                if (p == end || *p != '\n') {
                    DECLINE("bare carriage return");
                }
            }
            p++; /* '\n' */
            if (col != last) {
                DECLINE("fewer fields than the header");
            }
            row++;
            break;
        }
    }
    sc->rows = row;
    return 1;
}

/* parse(block, ncols, columns, kinds, delimiter, skip_header)
 *   -> (rows, [float64 bytearray | (int32 codes bytearray, [label bytes])])
 *   or a str saying why the block is declined. */
static PyObject *
fastcsv_parse(PyObject *self, PyObject *args)
{
    Py_buffer view;
    int ncols, skip_header;
    PyObject *columns;
    const char *kinds;
    Py_ssize_t nkinds;
    int delim;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*iO!s#Cp", &view, &ncols, &PyTuple_Type, &columns, &kinds,
                          &nkinds, &delim, &skip_header)) {
        return NULL;
    }
    PyObject *result = NULL, *outs = NULL;
    PyObject **bufs = NULL;
    scan_t sc;
    memset(&sc, 0, sizeof sc);
    Py_ssize_t nout = PyTuple_GET_SIZE(columns);
    if (nout != nkinds || nout < 1 || nout > ncols || ncols < 1 || delim < 0 || delim > 127) {
        PyErr_SetString(PyExc_ValueError, "fastcsv.parse: bad columns, kinds or delimiter");
        PyBuffer_Release(&view);
        return NULL;
    }
    sc.nout = (int)nout;
    sc.out_of_col = PyMem_Malloc((size_t)ncols * sizeof(int));
    sc.kinds = PyMem_Calloc((size_t)nout, 1);
    sc.data = PyMem_Calloc((size_t)nout, sizeof *sc.data);
    sc.dicts = PyMem_Calloc((size_t)nout, sizeof *sc.dicts);
    bufs = PyMem_Calloc((size_t)nout, sizeof *bufs);
    if (!sc.out_of_col || !sc.kinds || !sc.data || !sc.dicts || !bufs) {
        PyErr_NoMemory();
        goto done;
    }
    for (int c = 0; c < ncols; c++) {
        sc.out_of_col[c] = -1;
    }
    for (Py_ssize_t i = 0; i < nout; i++) {
        long c = PyLong_AsLong(PyTuple_GET_ITEM(columns, i));
        if (c == -1 && PyErr_Occurred()) {
            goto done;
        }
        if (c < 0 || c >= ncols || sc.out_of_col[c] != -1 ||
            (kinds[i] != 'f' && kinds[i] != 't')) {
            PyErr_SetString(PyExc_ValueError, "fastcsv.parse: bad column index or kind");
            goto done;
        }
        sc.out_of_col[c] = (int)i;
        sc.kinds[i] = kinds[i];
    }
    /* A UTF-8 byte-order mark: Arrow drops it at the start of every buffer it is
     * given, where the scan would read it as part of the first field. Declined. */
    if (view.len >= 3 && memcmp(view.buf, "\xef\xbb\xbf", 3) == 0) {
        result = PyUnicode_FromString("a UTF-8 byte-order mark at byte 0");
        goto done;
    }
    sc.buf = view.buf;
    sc.len = (size_t)view.len;
    sc.ncols = ncols;
    sc.delim = (char)delim;
    sc.skip_header = skip_header;

    /* Outputs are scanned into malloc'd buffers sized for rows of 16 bytes or
     * more (grown if need be), then copied into exact-size bytearrays: buffers of a
     * few MiB come from malloc's warm heap, where a bound of one row per ncols
     * bytes (16 MiB a column) was a fresh mapping paged in for every block. */
    sc.cap = sc.len / 16 + 16;
    for (Py_ssize_t i = 0; i < nout; i++) {
        size_t width = kinds[i] == 'f' ? sizeof(double) : sizeof(int32_t);
        sc.data[i] = malloc(sc.cap * width);
        if (!sc.data[i]) {
            PyErr_NoMemory();
            goto done;
        }
    }

    int ok;
    Py_BEGIN_ALLOW_THREADS
    ok = scan(&sc);
    Py_END_ALLOW_THREADS

    if (!ok) {
        result = PyUnicode_FromFormat("%s at byte %zu", sc.why, sc.where);
        goto done;
    }
    outs = PyList_New(nout);
    if (!outs) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < nout; i++) {
        size_t width = kinds[i] == 'f' ? sizeof(double) : sizeof(int32_t);
        bufs[i] = PyByteArray_FromStringAndSize(sc.data[i], (Py_ssize_t)(sc.rows * width));
        if (!bufs[i]) {
            goto done;
        }
        PyObject *item;
        if (kinds[i] == 'f') {
            item = bufs[i];
            Py_INCREF(item);
        } else {
            dict_t *d = &sc.dicts[i];
            PyObject *labels = PyList_New((Py_ssize_t)d->n);
            if (!labels) {
                goto done;
            }
            for (size_t k = 0; k < d->n; k++) {
                PyObject *label = PyBytes_FromStringAndSize(d->ptr[k], (Py_ssize_t)d->len[k]);
                if (!label) {
                    Py_DECREF(labels);
                    goto done;
                }
                PyList_SET_ITEM(labels, (Py_ssize_t)k, label);
            }
            item = PyTuple_Pack(2, bufs[i], labels);
            Py_DECREF(labels);
            if (!item) {
                goto done;
            }
        }
        PyList_SET_ITEM(outs, i, item);
    }
    result = Py_BuildValue("(nO)", (Py_ssize_t)sc.rows, outs);

done:
    Py_XDECREF(outs);
    for (int i = 0; i < sc.nout; i++) {
        if (bufs) {
            Py_XDECREF(bufs[i]);
        }
        if (sc.data) {
            free(sc.data[i]);
        }
        if (sc.dicts) {
            dict_free(&sc.dicts[i]);
        }
    }
    PyMem_Free(bufs);
    PyMem_Free(sc.dicts);
    PyMem_Free(sc.data);
    PyMem_Free(sc.kinds);
    PyMem_Free(sc.out_of_col);
    PyBuffer_Release(&view);
    return result;
}

/* parse_float(bytes) -> float, or None when declined (for the tests). */
static PyObject *
fastcsv_parse_float(PyObject *self, PyObject *arg)
{
    (void)self;
    char *s;
    Py_ssize_t n;
    if (PyBytes_AsStringAndSize(arg, &s, &n) < 0) {
        return NULL;
    }
    double v;
    if (parse_number(s, s + n, &v) != s + n) {
        Py_RETURN_NONE;
    }
    return PyFloat_FromDouble(v);
}

/* tune_malloc() -> bool: glibc's malloc, told to serve blocks up to 4 MiB from
 * its heap and to keep up to 32 MiB free there, instead of mapping and unmapping
 * them each time: the scanner's block outputs and numpy's 64K-row temporaries
 * then reuse warm pages. The CLI calls it (the process is its own); a library
 * user's process is left as it is. False where the C library is not glibc. */
static PyObject *
fastcsv_tune_malloc(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
#if defined(__GLIBC__)
    int ok = mallopt(M_MMAP_THRESHOLD, 4 << 20) && mallopt(M_TRIM_THRESHOLD, 32 << 20);
    return PyBool_FromLong(ok);
#else
    Py_RETURN_FALSE;
#endif
}

static PyMethodDef methods[] = {
    {"tune_malloc", fastcsv_tune_malloc, METH_NOARGS, "tune_malloc() -> bool"},
    {"parse", fastcsv_parse, METH_VARARGS,
     "parse(block, ncols, columns, kinds, delimiter, skip_header) -> (rows, outputs) | str"},
    {"parse_float", fastcsv_parse_float, METH_O, "parse_float(bytes) -> float | None"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "losscli._fastcsv", "CSV block scanner (see fastcsv.c).", -1, methods,
};

PyMODINIT_FUNC
PyInit__fastcsv(void)
{
    return PyModule_Create(&module);
}

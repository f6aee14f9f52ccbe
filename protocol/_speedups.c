/* Compiled versions of two hot functions of the protocol package. Each has its
 * reference in Python, used when this module is not built, and the tests hold the two
 * to the same results.
 *
 * sha256_id(data) is protocol.ids._sha256_id: "sha256:" and the unpadded base64url
 * SHA-256 of data (hashlib computes the digest).
 *
 * split(data, tail) is protocol.parsing._split_py, the native half of parse_envelope's
 * fast path. It takes the bytes of an envelope that msgspec has decoded and re-encoded
 * to exactly these bytes (so they are canonical JSON, keys sorted, with the fields and
 * types of an envelope), and whose author, actor, scope and ts were checked. It checks
 * the hashes (body_hash, prev, refs) and the signature's spelling, and cuts the bytes
 * apart:
 *
 *   (body bytes or None, header bytes, signed bytes, raw signature, raw body hash)
 *
 * or returns None when anything is not as expected: the caller then takes the general
 * path, which decides and names the rule. `tail` is the length of what follows the sig
 * member: `,"ts":"<ts>","v":<v>}`. Every read is bounds-checked against the input.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define HASH_CHARS 50 /* "sha256:" and 43 characters of base64url */
#define SIG_CHARS 86
#define SIG_MEMBER 95 /* ,"sig":"<86 characters>" */

static const char ALPHABET[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/* base64url value of each byte, or -1. */
static signed char B64[256];


/* Decodes n characters of unpadded base64url into out; 0 if any is outside the
 * alphabet or the bits left over at the end are not zero (a non-canonical spelling). */
static int
b64url(const unsigned char *in, Py_ssize_t n, unsigned char *out)
{
    uint32_t acc = 0;
    int bits = 0;
    Py_ssize_t o = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int v = B64[in[i]];
        if (v < 0) {
            return 0;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    return (acc & ((1u << bits) - 1)) == 0;
}

typedef struct {
    const unsigned char *p;
    const unsigned char *end;
} cursor;

/* Consumes the literal s if the input continues with it. */
static int
take(cursor *c, const char *s, Py_ssize_t n)
{
    if (c->end - c->p < n || memcmp(c->p, s, (size_t)n) != 0) {
        return 0;
    }
    c->p += n;
    return 1;
}

#define TAKE(c, lit) take((c), (lit), (Py_ssize_t)(sizeof(lit) - 1))

/* Consumes a quoted hash; its 32 raw bytes go to out. */
static int
take_hash(cursor *c, unsigned char *out)
{
    if (c->end - c->p < HASH_CHARS + 2 || c->p[0] != '"' ||
        memcmp(c->p + 1, "sha256:", 7) != 0 || c->p[HASH_CHARS + 1] != '"') {
        return 0;
    }
    if (!b64url(c->p + 8, HASH_CHARS - 7, out)) {
        return 0;
    }
    c->p += HASH_CHARS + 2;
    return 1;
}

static const unsigned char *
find_last(const unsigned char *from, const unsigned char *end, const char *s, size_t n)
{
    for (Py_ssize_t i = (end - from) - (Py_ssize_t)n; i >= 0; i--) {
        if (from[i] == (unsigned char)s[0] && memcmp(from + i, s, n) == 0) {
            return from + i;
        }
    }
    return NULL;
}

static const unsigned char *
find_first(const unsigned char *from, const unsigned char *end, const char *s, size_t n)
{
    for (const unsigned char *p = from; end - p >= (Py_ssize_t)n; p++) {
        if (*p == (unsigned char)s[0] && memcmp(p, s, n) == 0) {
            return p;
        }
    }
    return NULL;
}

static const char BODY[] = ",\"body\":";
static const char BODY_HASH[] = ",\"body_hash\":";

/* Concatenation of up to three slices of the input into a new bytes object. */
static PyObject *
join3(const unsigned char *a, Py_ssize_t na, const unsigned char *b, Py_ssize_t nb,
      const unsigned char *c, Py_ssize_t nc)
{
    PyObject *out = PyBytes_FromStringAndSize(NULL, na + nb + nc);
    if (out == NULL) {
        return NULL;
    }
    char *w = PyBytes_AS_STRING(out);
    memcpy(w, a, (size_t)na);
    memcpy(w + na, b, (size_t)nb);
    memcpy(w + na + nb, c, (size_t)nc);
    return out;
}

static PyObject *
split(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2 || !PyBytes_CheckExact(args[0]) || !PyLong_CheckExact(args[1])) {
        PyErr_SetString(PyExc_TypeError, "split(data: bytes, tail: int)");
        return NULL;
    }
    PyObject *data = args[0];
    Py_ssize_t tail = PyLong_AsSsize_t(args[1]);
    if (tail < 0) {
        if (PyErr_Occurred()) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    const unsigned char *d = (const unsigned char *)PyBytes_AS_STRING(data);
    Py_ssize_t n = PyBytes_GET_SIZE(data);
    const unsigned char *end = d + n;

    /* Nothing before the body (actor, author: checked) holds a quote, nor anything
     * after body_hash once the checks below and the caller's pass: so the first
     * ',"body":' and the last ',"body_hash":' are the top-level members. */
    const unsigned char *body = find_first(d, end, BODY, sizeof BODY - 1);
    const unsigned char *after;
    if (body != NULL) {
        after = find_last(body + sizeof BODY - 1, end, BODY_HASH, sizeof BODY_HASH - 1);
    }
    else {
        after = find_first(d, end, BODY_HASH, sizeof BODY_HASH - 1);
    }
    if (after == NULL) {
        Py_RETURN_NONE;
    }

    unsigned char body_hash[32], scratch[32], sig[64];
    cursor c = {after + sizeof BODY_HASH - 1, end};
    if (!take_hash(&c, body_hash) || !TAKE(&c, ",\"kind\":\"")) {
        Py_RETURN_NONE;
    }
    while (c.p < end && *c.p != '"') { /* a kind msgspec checked by value */
        c.p++;
    }
    if (!TAKE(&c, "\",\"prev\":")) {
        Py_RETURN_NONE;
    }
    if (!TAKE(&c, "null") && !take_hash(&c, scratch)) {
        Py_RETURN_NONE;
    }
    if (!TAKE(&c, ",\"refs\":[")) {
        Py_RETURN_NONE;
    }
    if (!TAKE(&c, "]")) {
        do {
            if (!take_hash(&c, scratch)) {
                Py_RETURN_NONE;
            }
        } while (TAKE(&c, ","));
        if (!TAKE(&c, "]")) {
            Py_RETURN_NONE;
        }
    }
    if (!TAKE(&c, ",\"scope\":\"")) {
        Py_RETURN_NONE;
    }

    /* The sig member ends where the tail begins. */
    if (tail > end - c.p || end - tail - c.p < SIG_MEMBER) {
        Py_RETURN_NONE;
    }
    const unsigned char *s = end - tail - SIG_MEMBER;
    cursor sc = {s, end};
    if (!TAKE(&sc, ",\"sig\":\"") || sc.p[SIG_CHARS] != '"' ||
        !b64url(sc.p, SIG_CHARS, sig)) {
        Py_RETURN_NONE;
    }
    sc.p += SIG_CHARS + 1;
    if (!TAKE(&sc, ",\"ts\":\"")) {
        Py_RETURN_NONE;
    }

    PyObject *body_bytes, *header, *signed_;
    if (body != NULL) {
        const unsigned char *b0 = body + sizeof BODY - 1;
        body_bytes = PyBytes_FromStringAndSize((const char *)b0, after - b0);
        header = join3(d, body - d, after, end - after, NULL, 0);
        signed_ = join3(d, body - d, after, s - after, s + SIG_MEMBER, tail);
    }
    else {
        body_bytes = Py_NewRef(Py_None);
        header = Py_NewRef(data);
        signed_ = join3(d, s - d, s + SIG_MEMBER, tail, NULL, 0);
    }
    PyObject *sig_bytes = PyBytes_FromStringAndSize((const char *)sig, 64);
    PyObject *hash_bytes = PyBytes_FromStringAndSize((const char *)body_hash, 32);
    if (body_bytes == NULL || header == NULL || signed_ == NULL || sig_bytes == NULL ||
        hash_bytes == NULL) {
        Py_XDECREF(body_bytes);
        Py_XDECREF(header);
        Py_XDECREF(signed_);
        Py_XDECREF(sig_bytes);
        Py_XDECREF(hash_bytes);
        return NULL;
    }
    PyObject *out = PyTuple_New(5);
    if (out == NULL) {
        Py_DECREF(body_bytes);
        Py_DECREF(header);
        Py_DECREF(signed_);
        Py_DECREF(sig_bytes);
        Py_DECREF(hash_bytes);
        return NULL;
    }
    PyTuple_SET_ITEM(out, 0, body_bytes);
    PyTuple_SET_ITEM(out, 1, header);
    PyTuple_SET_ITEM(out, 2, signed_);
    PyTuple_SET_ITEM(out, 3, sig_bytes);
    PyTuple_SET_ITEM(out, 4, hash_bytes);
    return out;
}

static PyObject *hash_new; /* hashlib.sha256 */
static PyObject *digest_name;

static PyObject *
sha256_id(PyObject *module, PyObject *data)
{
    (void)module;
    PyObject *h = PyObject_CallOneArg(hash_new, data);
    if (h == NULL) {
        return NULL;
    }
    PyObject *digest = PyObject_CallMethodNoArgs(h, digest_name);
    Py_DECREF(h);
    if (digest == NULL) {
        return NULL;
    }
    if (!PyBytes_CheckExact(digest) || PyBytes_GET_SIZE(digest) != 32) {
        Py_DECREF(digest);
        PyErr_SetString(PyExc_SystemError, "sha256 digest is not 32 bytes");
        return NULL;
    }
    const unsigned char *in = (const unsigned char *)PyBytes_AS_STRING(digest);
    PyObject *out = PyUnicode_New(HASH_CHARS, 127);
    if (out == NULL) {
        Py_DECREF(digest);
        return NULL;
    }
    Py_UCS1 *w = PyUnicode_1BYTE_DATA(out);
    memcpy(w, "sha256:", 7);
    w += 7;
    uint32_t acc = 0;
    int bits = 0;
    for (int i = 0; i < 32; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            *w++ = (Py_UCS1)ALPHABET[(acc >> bits) & 63];
        }
    }
    *w = (Py_UCS1)ALPHABET[(acc << (6 - bits)) & 63]; /* the last 2 bits, zero-padded */
    Py_DECREF(digest);
    return out;
}

static PyMethodDef methods[] = {
    {"sha256_id", (PyCFunction)sha256_id, METH_O,
     "sha256_id(data): 'sha256:' and the unpadded base64url SHA-256 of data."},
    {"split", (PyCFunction)(void (*)(void))split, METH_FASTCALL,
     "split(data, tail): (body, header, signed, raw sig, raw body hash) or None."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "protocol._speedups", NULL, -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    memset(B64, -1, sizeof B64);
    for (int i = 0; i < 64; i++) {
        B64[(unsigned char)ALPHABET[i]] = (signed char)i;
    }
    PyObject *hashlib = PyImport_ImportModule("hashlib");
    if (hashlib == NULL) {
        return NULL;
    }
    hash_new = PyObject_GetAttrString(hashlib, "sha256");
    Py_DECREF(hashlib);
    digest_name = PyUnicode_InternFromString("digest");
    if (hash_new == NULL || digest_name == NULL) {
        return NULL;
    }
    return PyModule_Create(&module);
}

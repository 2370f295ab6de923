/*
 * Client certificates for mutual TLS, through GnuTLS (which comes with
 * libmicrohttpd, so it stays in this folder).
 *
 * libmicrohttpd only asks GnuTLS to *request* a client certificate when a
 * trust list is set; it never checks one.  http_tls_verdict is the one
 * place that does: the chain must verify against the client CA (dates,
 * signatures, key purpose TLS client when present), and then the
 * certificate's key is reduced to its pin, the SHA-256 of its
 * SubjectPublicKeyInfo, which authentication compares in constant time
 * with the pin recorded for the partner (`partner set ID --cert FILE`).
 * Pinning the key rather than the certificate lets a partner renew its
 * certificate with the same key.
 */
#ifndef EMB_HTTP_TLS_H
#define EMB_HTTP_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "http/http.h"

/*
 * The pin of the first certificate in data (PEM, or DER): SHA-256 of its
 * SubjectPublicKeyInfo.  EMB_EINVAL with a message when it is not an
 * X.509 certificate.
 */
int http_tls_cert_pin(const uint8_t *data, size_t n, uint8_t pin[32],
    struct emb_error *err) EMB_MUST_USE;

/*
 * Verdict on the client certificate of a TLS session (a gnutls_session_t;
 * NULL for a plain connection): HTTP_CERT_NONE, HTTP_CERT_INVALID, or
 * HTTP_CERT_VALID with its pin in pin.
 */
enum http_cert http_tls_verdict(void *session, uint8_t pin[32]);

#endif

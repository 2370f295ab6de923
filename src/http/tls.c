/*
 * Client certificate verification and key pins (see tls.h).
 */
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "crypto/crypto.h"
#include "http/tls.h"
#include "common/emb.h"

/* The pin of an imported certificate. */
static int
crt_pin(gnutls_x509_crt_t crt, uint8_t pin[32])
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t spki = {NULL, 0};
	int r = EMB_EINVAL;

	if (gnutls_pubkey_init(&pub) < 0)
		return EMB_ENOMEM;
	if (gnutls_pubkey_import_x509(pub, crt, 0) < 0 ||
	    gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &spki) < 0)
		goto out;
	crypto_sha256(spki.data, spki.size, pin);
	r = 0;
out:
	gnutls_free(spki.data);
	gnutls_pubkey_deinit(pub);
	return r;
}

int
http_tls_cert_pin(
    const uint8_t *data, size_t n, uint8_t pin[32], struct emb_error *err)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t d;
	uint8_t p[32];
	int r;

	if (n == 0 || n > UINT32_MAX)
		return emb_error_set(err, EMB_EINVAL, "empty certificate file");
	d.data = (unsigned char *)(uintptr_t)data;
	d.size = (unsigned)n;
	if (gnutls_x509_crt_init(&crt) < 0)
		return emb_error_code(err, EMB_ENOMEM);
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) < 0 &&
	    gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0) {
		r = emb_error_set(err, EMB_EINVAL,
		    "not an X.509 certificate (PEM or DER expected)");
		goto out;
	}
	if ((r = crt_pin(crt, p)) < 0) {
		r = emb_error_set(
		    err, r, "cannot read the certificate's public key");
		goto out;
	}
	memcpy(pin, p, sizeof(p));
out:
	gnutls_x509_crt_deinit(crt);
	return r;
}

enum http_cert
http_tls_verdict(void *session, uint8_t pin[32])
{
	gnutls_session_t s = session;
	gnutls_typed_vdata_st purpose;
	const gnutls_datum_t *certs;
	gnutls_x509_crt_t crt = NULL;
	unsigned int n = 0, status = 0;
	enum http_cert v = HTTP_CERT_INVALID;

	if (s == NULL || gnutls_certificate_type_get(s) != GNUTLS_CRT_X509)
		return HTTP_CERT_NONE;
	certs = gnutls_certificate_get_peers(s, &n);
	if (certs == NULL || n == 0)
		return HTTP_CERT_NONE;
	/* The chain against the trust list (the client CA), for a client. */
	memset(&purpose, 0, sizeof(purpose));
	purpose.type = GNUTLS_DT_KEY_PURPOSE_OID;
	purpose.data = (unsigned char *)(uintptr_t)GNUTLS_KP_TLS_WWW_CLIENT;
	if (gnutls_certificate_verify_peers(s, &purpose, 1, &status) < 0 ||
	    status != 0)
		return HTTP_CERT_INVALID;
	if (gnutls_x509_crt_init(&crt) < 0)
		return HTTP_CERT_INVALID;
	if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) == 0 &&
	    crt_pin(crt, pin) == 0)
		v = HTTP_CERT_VALID;
	gnutls_x509_crt_deinit(crt);
	return v;
}

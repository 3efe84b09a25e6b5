// A self-signed P-256 certificate made in memory, for tests and benchmarks that need a TLS
// server on loopback (no openssl CLI, no files).
//
// Thread-safety: a pure function.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <string>

namespace metricsd::test_support {

struct CertAndKey {
  std::string cert_pem, key_pem;
};

// Valid from a minute ago for an hour, subject and issuer CN=`cn`.
inline CertAndKey SelfSignedCert(const std::string& cn = "localhost") {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  auto pem = [](auto write) {
    BIO* bio = BIO_new(BIO_s_mem());
    write(bio);
    char* data = nullptr;
    long length = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(length));
    BIO_free(bio);
    return out;
  };
  CertAndKey out;
  out.cert_pem = pem([&](BIO* bio) { PEM_write_bio_X509(bio, cert); });
  out.key_pem = pem([&](BIO* bio) {
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  });
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

}  // namespace metricsd::test_support

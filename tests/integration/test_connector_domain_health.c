#include "connector_kit.h"

#include <stdint.h>
#include <unistd.h>

/* Certificates made for this run by openssl (see make_certificates()). */
static char cert_dir[64];
static int tls_port;
static const char *rdap_path = "/rdap";

/* The stub's TLS port, asked once from its plain HTTP port. */
static int stub_tls_port(void)
{
    if (!tls_port) {
        char *body = stubproc_request(&kit.stub, "/__info", NULL);
        ck_assert_int_eq(sscanf(body, "{\"tls_port\": %d}", &tls_port), 1);
        free(body);
    }
    return tls_port;
}

/* Configure DOMAIN_HEALTH for domain (mapped to 127.0.0.1), trusting the test CA; extra: JSON members or "".
 */
static void configure(const char *domain, const char *extra)
{
    char options[1024];
    int port = stub_tls_port();
    snprintf(
        options, sizeof(options),
        "{\"domain\":\"%s\",\"port\":%d,\"resolve_override\":\"%s:%d:127.0.0.1\",\"ca_file\":\"%s/ca.pem\","
        "\"rdap_base_url\":\"%s%s\",\"timeout_ms\":2000%s%s}",
        domain, port, domain, port, cert_dir, kit.base_url, rdap_path, extra && *extra ? "," : "",
        extra ? extra : "");
    kit_configure("DOMAIN_HEALTH", NULL, options, NULL);
}

START_TEST(domain_check_reports_dns_tls_http_and_rdap)
{
    char *result = NULL;
    configure("valid.test", "\"rdap\":true");
    ck_assert_msg(kit_run(&result, "DOMAIN_HEALTH", "check", "{}") == MON_OK, "%s", mon_error_last());
    ck_assert_ptr_nonnull(strstr(result, "\"addresses\":[{\"address\":\"127.0.0.1\",\"type\":\"A\"}]"));
    ck_assert_ptr_nonnull(strstr(result, "\"source\":\"resolve_override\""));
    ck_assert_ptr_nonnull(strstr(result, "\"valid\":true"));
    ck_assert_msg(strstr(result, "\"days_left\":199,") || strstr(result, "\"days_left\":200,"), "%s", result);
    ck_assert_ptr_nonnull(strstr(result, "Monitorage Test CA"));
    ck_assert_ptr_nonnull(strstr(result, "\"status\":200"));
    ck_assert_ptr_nonnull(strstr(result, "\"time_ms\":{\"dns\":"));
    ck_assert_ptr_nonnull(strstr(result, "\"status\":\"found\""));
    ck_assert_ptr_nonnull(strstr(result, "\"registered_at\":\"1995-08-14T04:00:00Z\""));
    ck_assert_ptr_nonnull(strstr(result, "\"expires_at\":\"2030-08-13T04:00:00.000000Z\""));
    mon_free(result);
}
END_TEST

START_TEST(domain_health_test_ok)
{
    char *result = NULL;
    configure("valid.test", NULL);
    ck_assert_int_eq(kit_run(&result, "DOMAIN_HEALTH", NULL, NULL), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"tls\":{"));
    ck_assert_ptr_null(strstr(result, "\"rdap\""));
    ck_assert_str_eq(kit.audit_action, "test");
    mon_free(result);
}
END_TEST

START_TEST(domain_self_signed_certificate_is_refused)
{
    char *result = NULL;
    configure("selfsigned.test", NULL);
    ck_assert_int_eq(kit_run(&result, "DOMAIN_HEALTH", "tls", "{}"), MON_EUPSTREAM);
    kit_assert_error_has("DOMAIN_HEALTH: TLS certificate of selfsigned.test not trusted: ");
    kit_assert_error_has("self-signed certificate");
    kit_assert_error_has("(expires 20");
}
END_TEST

START_TEST(domain_expired_certificate_is_refused_with_its_date)
{
    char *result = NULL;
    configure("expired.test", NULL);
    ck_assert_int_eq(kit_run(&result, "DOMAIN_HEALTH", "tls", "{}"), MON_EUPSTREAM);
    kit_assert_error_has("certificate has expired");
    kit_assert_error_has("(expired 2020-02-01T00:00:00");
}
END_TEST

START_TEST(domain_near_expiry_certificate_warns)
{
    char *result = NULL;
    configure("soon.test", "\"tls_warn_days\":30");
    ck_assert_int_eq(kit_run(&result, "DOMAIN_HEALTH", "tls", "{}"), MON_OK);
    ck_assert_msg(strstr(result, "\"days_left\":9,") || strstr(result, "\"days_left\":10,"), "%s", result);
    ck_assert_ptr_nonnull(strstr(result, "\"warning\":true"));
    ck_assert_ptr_null(strstr(result, "\"http\""));
    mon_free(result);
    configure("soon.test", "\"tls_warn_days\":5");
    ck_assert_int_eq(kit_run(&result, "DOMAIN_HEALTH", "tls", "{}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"warning\":false"));
    mon_free(result);
}
END_TEST

START_TEST(domain_certificate_for_another_name_is_refused)
{
    char *result = NULL;
    configure("wronghost.test", NULL);
    ck_assert_int_eq(kit_run(&result, "DOMAIN_HEALTH", "tls", "{}"), MON_EUPSTREAM);
    kit_assert_error_has("not trusted");
    kit_assert_error_has("wronghost.test");
}
END_TEST

START_TEST(domain_unknown_issuer_is_refused_without_ca_file)
{
    char *result = NULL;
    char options[512];
    int port = stub_tls_port();
    snprintf(options, sizeof(options),
             "{\"domain\":\"valid.test\",\"port\":%d,\"resolve_override\":\"valid.test:%d:127.0.0.1\"}", port,
             port);
    kit_configure("DOMAIN_HEALTH", NULL, options, NULL);
    ck_assert_int_eq(kit_run(&result, "DOMAIN_HEALTH", "tls", "{}"), MON_EUPSTREAM);
    kit_assert_error_has("unable to get local issuer certificate");
}
END_TEST

START_TEST(domain_http_follows_redirects_up_to_five)
{
    char *result = NULL;
    configure("valid.test", "\"path\":\"/redirect\"");
    ck_assert_int_eq(kit_run(&result, "DOMAIN_HEALTH", "http", "{}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"status\":200,\"redirects\":1"));
    ck_assert_ptr_null(strstr(result, "\"tls\":{"));
    mon_free(result);
    configure("valid.test", "\"path\":\"/loop\"");
    ck_assert_int_eq(kit_run(&result, "DOMAIN_HEALTH", "http", "{}"), MON_EUPSTREAM);
    kit_assert_error_has("redirects more than 5 times");
}
END_TEST

START_TEST(domain_http_status_above_limit_is_an_error)
{
    char *result = NULL;
    configure("valid.test", "\"path\":\"/down\"");
    ck_assert_int_eq(kit_run(&result, "DOMAIN_HEALTH", "check", "{}"), MON_EUPSTREAM);
    kit_assert_error_has("/down answered HTTP 503 (expected at most 399)");
    configure("valid.test", "\"path\":\"/down\",\"expect_status_max\":599");
    ck_assert_int_eq(kit_run(&result, "DOMAIN_HEALTH", "http", "{}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"status\":503"));
    mon_free(result);
}
END_TEST

START_TEST(domain_rdap_unknown_is_not_a_failure)
{
    char *result = NULL;
    configure("unknown.test", NULL);
    ck_assert_int_eq(kit_run(&result, "DOMAIN_HEALTH", "rdap", "{}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"status\":\"unknown\""));
    ck_assert_ptr_nonnull(strstr(result, "\"reason\":\"Not Found\""));
    mon_free(result);
}
END_TEST

START_TEST(domain_rdap_follows_redirect)
{
    char *result = NULL;
    rdap_path = "/rdap-moved";
    configure("valid.test", NULL);
    rdap_path = "/rdap";
    ck_assert_int_eq(kit_run(&result, "DOMAIN_HEALTH", "rdap", "{}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"ldh_name\":\"VALID.TEST\""));
    ck_assert_ptr_nonnull(strstr(result, "\"statuses\":[\"client transfer prohibited\"]"));
    mon_free(result);
}
END_TEST

START_TEST(domain_rdap_rate_limit_is_temporary_error)
{
    char *result = NULL;
    configure("limited.test", NULL);
    ck_assert_int_eq(kit_run(&result, "DOMAIN_HEALTH", "rdap", "{}"), MON_ERATELIMITED);
    kit_assert_error_has("RDAP: rate limited, retry after 120 s");
}
END_TEST

START_TEST(domain_rdap_short_rate_limit_waits)
{
    char *result = NULL;
    long long started;
    configure("valid.test", "\"rate_limit_max_wait_s\":3");
    kit_control("{\"mode\":\"ratelimit\",\"count\":1,\"retry_after\":1}");
    started = kit_now_ms();
    ck_assert_int_eq(kit_run(&result, "DOMAIN_HEALTH", "rdap", "{}"), MON_OK);
    ck_assert_int_ge(kit_now_ms() - started, 1000);
    mon_free(result);
}
END_TEST

START_TEST(domain_rdap_malformed_json_is_proto_error)
{
    char *result = NULL;
    configure("valid.test", NULL);
    kit_control("{\"mode\":\"malformed\"}");
    ck_assert_int_eq(kit_run(&result, "DOMAIN_HEALTH", "rdap", "{}"), MON_EPROTO);
    kit_assert_error_has("RDAP: malformed JSON in reply");
}
END_TEST

START_TEST(domain_hanging_server_times_out)
{
    char *result = NULL;
    long long started;
    configure("valid.test", "\"timeout_ms\":500");
    kit_control("{\"mode\":\"hang\",\"seconds\":5}");
    started = kit_now_ms();
    ck_assert_int_eq(kit_run(&result, "DOMAIN_HEALTH", "tls", "{}"), MON_ETIMEOUT);
    ck_assert_int_lt(kit_now_ms() - started, 1500);
    kit_assert_error_has("within 500 ms");
}
END_TEST

START_TEST(domain_closed_port_is_network_error)
{
    char *result = NULL;
    kit_configure("DOMAIN_HEALTH", NULL,
                  "{\"domain\":\"valid.test\",\"port\":1,\"resolve_override\":\"valid.test:1:127.0.0.1\"}",
                  NULL);
    ck_assert_int_eq(kit_run(&result, "DOMAIN_HEALTH", "http", "{}"), MON_ENET);
    kit_assert_error_has("https://valid.test:1/");
}
END_TEST

START_TEST(domain_dns_uses_getaddrinfo)
{
    char *result = NULL;
    /* localhost comes from /etc/hosts: no query leaves the machine. */
    kit_configure("DOMAIN_HEALTH", NULL, "{\"domain\":\"localhost\"}", NULL);
    ck_assert_int_eq(kit_run(&result, "DOMAIN_HEALTH", "dns", "{}"), MON_OK);
    ck_assert_ptr_nonnull(strstr(result, "\"source\":\"getaddrinfo\""));
    ck_assert_msg(strstr(result, "\"address\":\"127.0.0.1\",\"type\":\"A\"") ||
                      strstr(result, "\"address\":\"::1\",\"type\":\"AAAA\""),
                  "%s", result);
    mon_free(result);
}
END_TEST

START_TEST(domain_bad_options_are_refused)
{
    mon_connector_config config = MON_CONNECTOR_CONFIG_INIT;
    config.options_json = "{\"domain\":\"exa mple.com\"}";
    ck_assert_int_eq(mon_connector_configure(kit.reg, "DOMAIN_HEALTH", &config), MON_EINVAL);
    kit_assert_error_has("\"domain\" must be a host name");
    config.options_json = "{\"domain\":\"example.com\",\"resolve_override\":\"example.com:443\"}";
    ck_assert_int_eq(mon_connector_configure(kit.reg, "DOMAIN_HEALTH", &config), MON_EINVAL);
    kit_assert_error_has("resolve_override");
    config.options_json = "{\"domain\":\"example.com\",\"path\":\"index.html\"}";
    ck_assert_int_eq(mon_connector_configure(kit.reg, "DOMAIN_HEALTH", &config), MON_EINVAL);
    config.options_json = "{}";
    ck_assert_int_eq(mon_connector_configure(kit.reg, "DOMAIN_HEALTH", &config), MON_EINVAL);
    kit_assert_error_has("domain");
}
END_TEST

static void add_tests(TCase *tc)
{
    tcase_add_test(tc, domain_check_reports_dns_tls_http_and_rdap);
    tcase_add_test(tc, domain_health_test_ok);
    tcase_add_test(tc, domain_self_signed_certificate_is_refused);
    tcase_add_test(tc, domain_expired_certificate_is_refused_with_its_date);
    tcase_add_test(tc, domain_near_expiry_certificate_warns);
    tcase_add_test(tc, domain_certificate_for_another_name_is_refused);
    tcase_add_test(tc, domain_unknown_issuer_is_refused_without_ca_file);
    tcase_add_test(tc, domain_http_follows_redirects_up_to_five);
    tcase_add_test(tc, domain_http_status_above_limit_is_an_error);
    tcase_add_test(tc, domain_rdap_unknown_is_not_a_failure);
    tcase_add_test(tc, domain_rdap_follows_redirect);
    tcase_add_test(tc, domain_rdap_rate_limit_is_temporary_error);
    tcase_add_test(tc, domain_rdap_short_rate_limit_waits);
    tcase_add_test(tc, domain_rdap_malformed_json_is_proto_error);
    tcase_add_test(tc, domain_hanging_server_times_out);
    tcase_add_test(tc, domain_closed_port_is_network_error);
    tcase_add_test(tc, domain_dns_uses_getaddrinfo);
    tcase_add_test(tc, domain_bad_options_are_refused);
}

/* A test CA, leaf certificates it signs (valid 200 days, 10 days, expired in 2020) and a self-signed one. */
static int make_certificates(void)
{
    char command[4096];
    snprintf(cert_dir, sizeof(cert_dir), "/tmp/mon-dh-XXXXXX");
    if (!mkdtemp(cert_dir))
        return -1;
    snprintf(
        command, sizeof(command),
        "(cd %s && EC='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes' && "
        "openssl req -x509 $EC -keyout ca.key -out ca.pem -days 30 -subj '/CN=Monitorage Test CA' "
        "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign && "
        "for leaf in valid:200 soon:10; do n=${leaf%%:*}; "
        "openssl req -x509 $EC -keyout $n.key -out $n.pem -days ${leaf#*:} -subj /CN=$n.test "
        "-addext subjectAltName=DNS:$n.test -CA ca.pem -CAkey ca.key || exit 1; done && "
        "openssl req -x509 $EC -keyout selfsigned.key -out selfsigned.pem -days 200 -subj "
        "/CN=selfsigned.test "
        "-addext subjectAltName=DNS:selfsigned.test && "
        "printf '[ca]\\ndefault_ca=d\\n[d]\\ndatabase=index.txt\\nnew_certs_dir=.\\nserial=serial\\n"
        "default_md=sha256\\npolicy=p\\ncopy_extensions=copy\\n[p]\\ncommonName=supplied\\n' > ca.cnf && "
        ": > index.txt && echo 01 > serial && "
        "openssl req -new $EC -keyout expired.key -out expired.csr -subj /CN=expired.test "
        "-addext subjectAltName=DNS:expired.test && "
        "openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem "
        "-startdate 20200101000000Z -enddate 20200201000000Z -notext) >/dev/null 2>&1",
        cert_dir);
    return system(command) == 0 ? 0 : -1;
}

int main(void)
{
    const char *argv[] = {"python3", stubproc_source_path("stubs/domain_stub.py"), cert_dir, NULL};
    char command[128];
    int failed;
    if (make_certificates() != 0) {
        fprintf(stderr, "openssl could not make the test certificates: skipped\n");
        return 77;
    }
    failed = kit_run_suite("connector_domain_health", argv, NULL, add_tests);
    snprintf(command, sizeof(command), "rm -rf %s", cert_dir);
    if (system(command) != 0)
        fprintf(stderr, "could not remove %s\n", cert_dir);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * Misuse test for the port-publishing part of the overlaynet C ABI (-p parsing, port lists,
 * endpoint specs, the ingress port allocator, the service resolver, mesh rules and their
 * nft transactions): NULL pointers, invalid UTF-8, absurd lengths, undefined enum values,
 * too-small buffers and free/NULL sequences must each give the documented result code and a
 * last-error message, never a crash or a leak, and failed calls must change nothing. Run
 * under valgrind by scripts/test.d/20-capi.sh.
 */

#include "check.h"

/* The last error must be exactly `text` (Docker's wording where it has one). */
#define EXPECT_MESSAGE(text)                                                                \
  do {                                                                                      \
    checks++;                                                                               \
    if (strcmp(last_error(), (text)) != 0) {                                                \
      fprintf(stderr, "%s:%d: message %s\n  want %s\n", __FILE__, __LINE__, last_error(),   \
              (text));                                                                      \
      failures++;                                                                           \
    }                                                                                       \
  } while (0)

#define TCP OVERLAYNET_PROTOCOL_TCP
#define UDP OVERLAYNET_PROTOCOL_UDP
#define SCTP OVERLAYNET_PROTOCOL_SCTP

static const uint8_t invalid_utf8[] = {'8', '0', 0xff, 0xfe};
#define INVALID_UTF8 invalid_utf8, sizeof invalid_utf8

static uint8_t buf[8192];
static size_t n;

/* A text getter `f(args..., buf, len, out_n)` with a non-empty result must also report the
 * needed length for a size query and a too-small buffer, and refuse NULL out_n, NULL buf
 * with a length, and an absurd length. */
#define TEXT_OUT(f, ...)                                                                    \
  do {                                                                                      \
    size_t full_ = 0;                                                                       \
    EXPECT(f(__VA_ARGS__, buf, sizeof buf, &full_), OK);                                    \
    CHECK(full_ > 0);                                                                       \
    n = 0;                                                                                  \
    EXPECT(f(__VA_ARGS__, NULL, 0, &n), TOO_SMALL);                                         \
    CHECK(n == full_);                                                                      \
    n = 0;                                                                                  \
    EXPECT(f(__VA_ARGS__, buf, full_ - 1, &n), TOO_SMALL);                                  \
    CHECK(n == full_);                                                                      \
    EXPECT(f(__VA_ARGS__, buf, sizeof buf, NULL), NUL_PARAM);                               \
    EXPECT(f(__VA_ARGS__, NULL, 8, &n), NUL_PARAM);                                         \
    EXPECT(f(__VA_ARGS__, buf, ABSURD, &n), BAD_LEN);                                       \
  } while (0)

static overlaynet_ip_address v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  overlaynet_ip_address ip;
  memset(&ip, 0, sizeof ip);
  ip.family = OVERLAYNET_FAMILY_IPV4;
  ip.bytes[0] = a;
  ip.bytes[1] = b;
  ip.bytes[2] = c;
  ip.bytes[3] = d;
  return ip;
}

static overlaynet_ip_address v6_last(uint8_t last) {
  overlaynet_ip_address ip;
  memset(&ip, 0, sizeof ip);
  ip.family = OVERLAYNET_FAMILY_IPV6;
  ip.bytes[0] = 0xfd;
  ip.bytes[15] = last;
  return ip;
}

static void test_parsing(void) {
  overlaynet_run_port_mapping maps[4];
  memset(maps, 0, sizeof maps);
  EXPECT(overlaynet_run_port_parse(S("127.0.0.1:8000-8001:80-81/udp"), maps, 4, &n), OK);
  CHECK(n == 2);
  CHECK(maps[1].container_port == 81 && maps[1].protocol == UDP && maps[1].has_host_ip &&
        maps[1].host_ip.family == OVERLAYNET_FAMILY_IPV4 && maps[1].host_ip.bytes[0] == 127 &&
        maps[1].has_host_port && maps[1].host_port_start == 8001 && maps[1].host_port_end == 8001);
  /* A too-small array reports the count and writes nothing. */
  overlaynet_run_port_mapping one;
  memset(&one, 0x5a, sizeof one);
  n = 0;
  EXPECT(overlaynet_run_port_parse(S("80-82"), &one, 1, &n), TOO_SMALL);
  CHECK(n == 3 && one.container_port == 0x5a5a);
  EXPECT(overlaynet_run_port_parse(S("80-82"), NULL, 0, &n), TOO_SMALL);
  CHECK(n == 3);
  EXPECT(overlaynet_run_port_parse(NULL, 2, maps, 4, &n), NUL_PARAM);
  EXPECT(overlaynet_run_port_parse(INVALID_UTF8, maps, 4, &n), BAD_UTF8);
  EXPECT(overlaynet_run_port_parse((const uint8_t *)"80", ABSURD, maps, 4, &n), BAD_LEN);
  EXPECT(overlaynet_run_port_parse(S("80"), maps, 4, NULL), NUL_PARAM);
  EXPECT(overlaynet_run_port_parse(S("80"), NULL, 4, &n), NUL_PARAM);
  EXPECT(overlaynet_run_port_parse(S("80"), maps, ABSURD, &n), BAD_LEN);
  EXPECT(overlaynet_run_port_parse(NULL, 0, maps, 4, &n), BAD_INPUT);
  EXPECT_MESSAGE("no port specified: <empty>");
  EXPECT(overlaynet_run_port_parse(S("8080:80-82"), maps, 4, &n), BAD_INPUT);
  EXPECT_MESSAGE("invalid ranges specified for container and host Ports: 80-82 and 8080");

  /* Formatting: the struct is checked like any argument. */
  EXPECT(overlaynet_run_port_parse(S("[::1]::80/sctp"), maps, 4, &n), OK);
  TEXT_OUT(overlaynet_run_port_mapping_format, &maps[0]);
  EXPECT(overlaynet_run_port_mapping_format(&maps[0], buf, sizeof buf, &n), OK);
  CHECK(n == strlen("[::1]::80/sctp") && memcmp(buf, "[::1]::80/sctp", n) == 0);
  EXPECT(overlaynet_run_port_mapping_format(NULL, buf, sizeof buf, &n), NUL_PARAM);
  overlaynet_run_port_mapping bad = maps[0];
  bad.protocol = OVERLAYNET_PROTOCOL_ESP;
  EXPECT(overlaynet_run_port_mapping_format(&bad, buf, sizeof buf, &n), BAD_ENUM);
  bad = maps[0];
  bad.host_ip.family = 5;
  EXPECT(overlaynet_run_port_mapping_format(&bad, buf, sizeof buf, &n), BAD_ENUM);
  bad = maps[0];
  bad.has_host_port = true;
  bad.host_port_start = 9;
  bad.host_port_end = 8;
  EXPECT(overlaynet_run_port_mapping_format(&bad, buf, sizeof buf, &n), BAD_INPUT);

  overlaynet_port_config ports[4];
  EXPECT(overlaynet_service_port_parse(S("published=8080,target=80,protocol=udp,mode=host"), ports, 4, &n), OK);
  CHECK(n == 1 && ports[0].published == 8080 && ports[0].target == 80 && ports[0].protocol == UDP &&
        ports[0].mode == OVERLAYNET_PUBLISH_MODE_HOST);
  EXPECT(overlaynet_service_port_parse(S("8000-8003:80"), ports, 2, &n), TOO_SMALL);
  CHECK(n == 4);
  EXPECT(overlaynet_service_port_parse(NULL, 1, ports, 4, &n), NUL_PARAM);
  EXPECT(overlaynet_service_port_parse(INVALID_UTF8, ports, 4, &n), BAD_UTF8);
  EXPECT(overlaynet_service_port_parse((const uint8_t *)"80", ABSURD, ports, 4, &n), BAD_LEN);
  EXPECT(overlaynet_service_port_parse(S("80"), ports, 4, NULL), NUL_PARAM);
  EXPECT(overlaynet_service_port_parse(S("80"), NULL, 1, &n), NUL_PARAM);
  EXPECT(overlaynet_service_port_parse(S("127.0.0.1:8080:80"), ports, 4, &n), BAD_INPUT);
  EXPECT_MESSAGE("hostip is not supported");
  EXPECT(overlaynet_service_port_parse(S("published=8080"), ports, 4, &n), BAD_INPUT);
  EXPECT_MESSAGE("missing mandatory field 'target'");

  EXPECT(overlaynet_service_port_parse(S("8080:80/sctp"), ports, 4, &n), OK);
  TEXT_OUT(overlaynet_port_config_format, &ports[0]);
  EXPECT(overlaynet_port_config_format(&ports[0], buf, sizeof buf, &n), OK);
  CHECK(n == strlen("8080:80/sctp/ingress") && memcmp(buf, "8080:80/sctp/ingress", n) == 0);
  TEXT_OUT(overlaynet_port_config_spec, &ports[0]);
  EXPECT(overlaynet_port_config_format(NULL, buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_port_config_spec(NULL, buf, sizeof buf, &n), NUL_PARAM);
  overlaynet_port_config wrong = ports[0];
  wrong.mode = 2;
  EXPECT(overlaynet_port_config_format(&wrong, buf, sizeof buf, &n), BAD_ENUM);
  EXPECT(overlaynet_port_config_spec(&wrong, buf, sizeof buf, &n), BAD_ENUM);
  wrong = ports[0];
  wrong.protocol = 0;
  EXPECT(overlaynet_port_config_spec(&wrong, buf, sizeof buf, &n), BAD_ENUM);
}

static void test_port_lists(void) {
  overlaynet_port_list *l = NULL;
  overlaynet_port_config web = {TCP, 80, 8080, OVERLAYNET_PUBLISH_MODE_INGRESS};
  overlaynet_port_config got;
  size_t count = 99;
  EXPECT(overlaynet_port_list_new(NULL), NUL_PARAM);
  EXPECT(overlaynet_port_list_new(&l), OK);
  EXPECT(overlaynet_port_list_count(l, &count), OK);
  CHECK(count == 0);
  EXPECT(overlaynet_port_list_push(NULL, &web, S("http")), NUL_PARAM);
  EXPECT(overlaynet_port_list_push(l, NULL, S("http")), NUL_PARAM);
  EXPECT(overlaynet_port_list_push(l, &web, NULL, 4), NUL_PARAM);
  EXPECT(overlaynet_port_list_push(l, &web, INVALID_UTF8), BAD_UTF8);
  EXPECT(overlaynet_port_list_push(l, &web, (const uint8_t *)"x", ABSURD), BAD_LEN);
  overlaynet_port_config wrong = web;
  wrong.mode = 7;
  EXPECT(overlaynet_port_list_push(l, &wrong, S("x")), BAD_ENUM);
  EXPECT(overlaynet_port_list_count(l, &count), OK);
  CHECK(count == 0); /* failed pushes changed nothing */
  EXPECT(overlaynet_port_list_push(l, &web, S("http")), OK);
  EXPECT(overlaynet_port_list_push(l, &web, NULL, 0), OK); /* unnamed */
  EXPECT(overlaynet_port_list_count(NULL, &count), NUL_PARAM);
  EXPECT(overlaynet_port_list_count(l, NULL), NUL_PARAM);
  EXPECT(overlaynet_port_list_count(l, &count), OK);
  CHECK(count == 2);
  EXPECT(overlaynet_port_list_get(NULL, 0, &got), NUL_PARAM);
  EXPECT(overlaynet_port_list_get(l, 0, NULL), NUL_PARAM);
  EXPECT(overlaynet_port_list_get(l, 2, &got), OUT_OF_RANGE);
  EXPECT(overlaynet_port_list_get(l, ABSURD, &got), OUT_OF_RANGE);
  EXPECT(overlaynet_port_list_get(l, 1, &got), OK);
  CHECK(memcmp(&got, &web, sizeof got) == 0);
  TEXT_OUT(overlaynet_port_list_name, l, 0);
  EXPECT(overlaynet_port_list_name(NULL, 0, buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_port_list_name(l, 2, buf, sizeof buf, &n), OUT_OF_RANGE);
  EXPECT(overlaynet_port_list_name(l, 1, NULL, 0, &n), OK);
  CHECK(n == 0);

  /* Endpoint spec: the duplicate is refused, DNSRR refuses ingress ports. */
  EXPECT(overlaynet_endpoint_spec_validate(OVERLAYNET_ENDPOINT_MODE_VIP, NULL), NUL_PARAM);
  EXPECT(overlaynet_endpoint_spec_validate(2, l), BAD_ENUM);
  EXPECT(overlaynet_endpoint_spec_validate(OVERLAYNET_ENDPOINT_MODE_VIP, l), BAD_INPUT);
  EXPECT_MESSAGE("EndpointSpec: duplicate published ports provided");
  overlaynet_port_list *single = NULL;
  EXPECT(overlaynet_port_list_new(&single), OK);
  EXPECT(overlaynet_port_list_push(single, &web, NULL, 0), OK);
  EXPECT(overlaynet_endpoint_spec_validate(OVERLAYNET_ENDPOINT_MODE_VIP, single), OK);
  EXPECT(overlaynet_endpoint_spec_validate(OVERLAYNET_ENDPOINT_MODE_DNSRR, single), BAD_INPUT);
  EXPECT_MESSAGE("EndpointSpec: port published with ingress mode can't be used with dnsrr mode");
  overlaynet_port_list_free(single);
  overlaynet_port_list_free(l);
  overlaynet_port_list_free(NULL);
}

static void test_allocator(void) {
  overlaynet_port_allocator *a = NULL;
  overlaynet_port_list *spec = NULL, *got = NULL;
  overlaynet_port_config dynamic = {TCP, 80, 0, OVERLAYNET_PUBLISH_MODE_INGRESS};
  overlaynet_port_config fixed = {UDP, 53, 5353, OVERLAYNET_PUBLISH_MODE_INGRESS};
  overlaynet_port_config port;
  EXPECT(overlaynet_port_allocator_new(NULL), NUL_PARAM);
  EXPECT(overlaynet_port_allocator_new(&a), OK);
  EXPECT(overlaynet_port_list_new(&spec), OK);
  EXPECT(overlaynet_port_list_push(spec, &dynamic, NULL, 0), OK);
  EXPECT(overlaynet_port_list_push(spec, &fixed, NULL, 0), OK);

  EXPECT(overlaynet_port_allocator_allocate(NULL, S("web"), spec, &got), NUL_PARAM);
  EXPECT(overlaynet_port_allocator_allocate(a, NULL, 3, spec, &got), NUL_PARAM);
  EXPECT(overlaynet_port_allocator_allocate(a, INVALID_UTF8, spec, &got), BAD_UTF8);
  EXPECT(overlaynet_port_allocator_allocate(a, (const uint8_t *)"web", ABSURD, spec, &got), BAD_LEN);
  EXPECT(overlaynet_port_allocator_allocate(a, S("web"), NULL, &got), NUL_PARAM);
  EXPECT(overlaynet_port_allocator_allocate(a, S("web"), spec, NULL), NUL_PARAM);
  CHECK(got == NULL);
  EXPECT(overlaynet_port_allocator_allocate(a, S("web"), spec, &got), OK);
  EXPECT(overlaynet_port_list_get(got, 0, &port), OK);
  CHECK(port.published == OVERLAYNET_DYNAMIC_PORT_START && port.target == 80);
  overlaynet_port_list_free(got);
  got = NULL;

  /* Another service asking for the same port conflicts, with Docker's text. */
  EXPECT(overlaynet_port_allocator_allocate(a, S("dns"), spec, &got), CONFLICT);
  EXPECT_MESSAGE("port '5353/udp' is already in use by service 'web' as an ingress port");
  CHECK(got == NULL);

  TEXT_OUT(overlaynet_port_allocator_owner, a, UDP, 5353);
  EXPECT(overlaynet_port_allocator_owner(NULL, UDP, 5353, buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_port_allocator_owner(a, OVERLAYNET_PROTOCOL_ESP, 5353, buf, sizeof buf, &n), BAD_ENUM);
  EXPECT(overlaynet_port_allocator_owner(a, TCP, 5353, buf, sizeof buf, &n), NOT_FOUND);

  EXPECT(overlaynet_port_allocator_ports(NULL, S("web"), &got), NUL_PARAM);
  EXPECT(overlaynet_port_allocator_ports(a, NULL, 1, &got), NUL_PARAM);
  EXPECT(overlaynet_port_allocator_ports(a, INVALID_UTF8, &got), BAD_UTF8);
  EXPECT(overlaynet_port_allocator_ports(a, S("web"), NULL), NUL_PARAM);
  EXPECT(overlaynet_port_allocator_ports(a, S("dns"), &got), NOT_FOUND);
  EXPECT(overlaynet_port_allocator_ports(a, S("web"), &got), OK);
  size_t count = 0;
  EXPECT(overlaynet_port_list_count(got, &count), OK);
  CHECK(count == 2);
  overlaynet_port_list_free(got);

  bool released = false;
  EXPECT(overlaynet_port_allocator_release(NULL, S("web"), &released), NUL_PARAM);
  EXPECT(overlaynet_port_allocator_release(a, NULL, 3, &released), NUL_PARAM);
  EXPECT(overlaynet_port_allocator_release(a, INVALID_UTF8, &released), BAD_UTF8);
  EXPECT(overlaynet_port_allocator_release(a, S("web"), &released), OK);
  CHECK(released);
  EXPECT(overlaynet_port_allocator_release(a, S("web"), NULL), OK); /* out_released optional */
  EXPECT(overlaynet_port_allocator_release(a, S("web"), &released), OK);
  CHECK(!released);
  EXPECT(overlaynet_port_allocator_owner(a, UDP, 5353, buf, sizeof buf, &n), NOT_FOUND);

  overlaynet_port_list_free(spec);
  overlaynet_port_allocator_free(a);
  overlaynet_port_allocator_free(NULL);
}

static void test_resolver(void) {
  overlaynet_service_resolver *r = NULL;
  overlaynet_ip_address vip = v4(10, 0, 0, 2);
  overlaynet_ip_address tasks[3] = {v4(10, 0, 0, 3), v4(10, 0, 0, 4), v6_last(5)};
  overlaynet_ip_address out[3];
  EXPECT(overlaynet_service_resolver_new(7, NULL), NUL_PARAM);
  EXPECT(overlaynet_service_resolver_new(7, &r), OK);

  EXPECT(overlaynet_service_resolver_set_service(NULL, S("web"), OVERLAYNET_ENDPOINT_MODE_VIP, &vip), NUL_PARAM);
  EXPECT(overlaynet_service_resolver_set_service(r, NULL, 3, OVERLAYNET_ENDPOINT_MODE_VIP, &vip), NUL_PARAM);
  EXPECT(overlaynet_service_resolver_set_service(r, INVALID_UTF8, OVERLAYNET_ENDPOINT_MODE_VIP, &vip), BAD_UTF8);
  EXPECT(overlaynet_service_resolver_set_service(r, (const uint8_t *)"w", ABSURD, OVERLAYNET_ENDPOINT_MODE_VIP, &vip), BAD_LEN);
  EXPECT(overlaynet_service_resolver_set_service(r, S("web"), 9, &vip), BAD_ENUM);
  overlaynet_ip_address bad = vip;
  bad.family = 0;
  EXPECT(overlaynet_service_resolver_set_service(r, S("web"), OVERLAYNET_ENDPOINT_MODE_VIP, &bad), BAD_ENUM);
  EXPECT(overlaynet_service_resolver_resolve(r, S("web"), out, 3, &n), NOT_FOUND); /* nothing stored */
  EXPECT(overlaynet_service_resolver_set_service(r, S("web"), OVERLAYNET_ENDPOINT_MODE_VIP, &vip), OK);
  EXPECT(overlaynet_service_resolver_set_service(r, S("db"), OVERLAYNET_ENDPOINT_MODE_DNSRR, NULL), OK);

  EXPECT(overlaynet_service_resolver_set_tasks(NULL, S("db"), tasks, 3), NUL_PARAM);
  EXPECT(overlaynet_service_resolver_set_tasks(r, NULL, 2, tasks, 3), NUL_PARAM);
  EXPECT(overlaynet_service_resolver_set_tasks(r, INVALID_UTF8, tasks, 3), BAD_UTF8);
  EXPECT(overlaynet_service_resolver_set_tasks(r, S("db"), NULL, 3), NUL_PARAM);
  EXPECT(overlaynet_service_resolver_set_tasks(r, S("db"), tasks, ABSURD), BAD_LEN);
  EXPECT(overlaynet_service_resolver_set_tasks(r, S("db"), &bad, 1), BAD_ENUM);
  EXPECT(overlaynet_service_resolver_set_tasks(r, S("db"), tasks, 3), OK);
  EXPECT(overlaynet_service_resolver_set_tasks(r, S("web"), tasks, 2), OK);

  EXPECT(overlaynet_service_resolver_resolve(NULL, S("web"), out, 3, &n), NUL_PARAM);
  EXPECT(overlaynet_service_resolver_resolve(r, NULL, 3, out, 3, &n), NUL_PARAM);
  EXPECT(overlaynet_service_resolver_resolve(r, INVALID_UTF8, out, 3, &n), BAD_UTF8);
  EXPECT(overlaynet_service_resolver_resolve(r, (const uint8_t *)"web", ABSURD, out, 3, &n), BAD_LEN);
  EXPECT(overlaynet_service_resolver_resolve(r, S("web"), out, 3, NULL), NUL_PARAM);
  EXPECT(overlaynet_service_resolver_resolve(r, S("web"), NULL, 3, &n), NUL_PARAM);
  EXPECT(overlaynet_service_resolver_resolve(r, S("web"), out, ABSURD, &n), BAD_LEN);
  EXPECT(overlaynet_service_resolver_resolve(r, S("WEB."), out, 3, &n), OK);
  CHECK(n == 1 && memcmp(&out[0], &vip, sizeof vip) == 0);
  EXPECT(overlaynet_service_resolver_resolve(r, S("tasks.web"), out, 3, &n), OK);
  CHECK(n == 2);
  EXPECT(overlaynet_service_resolver_resolve(r, S("db"), NULL, 0, &n), TOO_SMALL);
  CHECK(n == 3);
  EXPECT(overlaynet_service_resolver_resolve(r, S("db"), out, 3, &n), OK);
  CHECK(n == 3);
  EXPECT(overlaynet_service_resolver_resolve(r, S("nope"), out, 3, &n), NOT_FOUND);

  bool removed = false;
  EXPECT(overlaynet_service_resolver_remove_service(NULL, S("db"), &removed), NUL_PARAM);
  EXPECT(overlaynet_service_resolver_remove_service(r, NULL, 2, &removed), NUL_PARAM);
  EXPECT(overlaynet_service_resolver_remove_service(r, INVALID_UTF8, &removed), BAD_UTF8);
  EXPECT(overlaynet_service_resolver_remove_service(r, S("db"), &removed), OK);
  CHECK(removed);
  EXPECT(overlaynet_service_resolver_remove_service(r, S("db"), NULL), OK);
  EXPECT(overlaynet_service_resolver_remove_service(r, S("db"), &removed), OK);
  CHECK(!removed);
  overlaynet_service_resolver_free(r);
  overlaynet_service_resolver_free(NULL);
}

/* Reads a transaction's text into buf (NUL-terminated) and frees it. */
static const char *take_text(overlaynet_mesh_transaction *t) {
  n = 0;
  if (overlaynet_mesh_transaction_text(t, buf, sizeof buf - 1, &n) != OK)
    n = 0;
  buf[n] = '\0';
  overlaynet_mesh_transaction_free(t);
  return (const char *)buf;
}

static void test_mesh_rules(void) {
  overlaynet_mesh_rules *r = NULL, *old = NULL;
  overlaynet_mesh_transaction *t = NULL;
  overlaynet_ip_address gw4 = v4(172, 18, 0, 2), gw6 = v6_last(2), bad = v4(1, 2, 3, 4);
  bad.family = 9;
  EXPECT(overlaynet_mesh_rules_new(NULL), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_new(&r), OK);

  /* Gateway. */
  EXPECT(overlaynet_mesh_rules_set_gateway(NULL, &gw4, &gw6, S("docker_gwbridge"), &t), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_set_gateway(r, &gw4, &gw6, NULL, 3, &t), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_set_gateway(r, &gw4, &gw6, INVALID_UTF8, &t), BAD_UTF8);
  EXPECT(overlaynet_mesh_rules_set_gateway(r, &gw4, &gw6, (const uint8_t *)"gw", ABSURD, &t), BAD_LEN);
  EXPECT(overlaynet_mesh_rules_set_gateway(r, &gw4, &gw6, S("docker_gwbridge"), NULL), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_set_gateway(r, &bad, NULL, S("docker_gwbridge"), &t), BAD_ENUM);
  EXPECT(overlaynet_mesh_rules_set_gateway(r, &gw6, NULL, S("docker_gwbridge"), &t), BAD_INPUT);
  EXPECT(overlaynet_mesh_rules_set_gateway(r, NULL, &gw4, S("docker_gwbridge"), &t), BAD_INPUT);
  EXPECT(overlaynet_mesh_rules_set_gateway(r, NULL, NULL, S("docker_gwbridge"), &t), BAD_INPUT);
  EXPECT_MESSAGE("the ingress sandbox needs a docker_gwbridge address (IPv4, IPv6 or both)");
  EXPECT(overlaynet_mesh_rules_set_gateway(r, &gw4, NULL, S("bad/name"), &t), BAD_INPUT);
  CHECK(t == NULL);
  EXPECT(overlaynet_mesh_rules_set_gateway(r, &gw4, &gw6, S("docker_gwbridge"), &t), OK);
  CHECK(strstr(take_text(t), "dnat ip to 172.18.0.2") != NULL);
  EXPECT(overlaynet_mesh_rules_clone(NULL, &old), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_clone(r, NULL), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_clone(r, &old), OK);

  /* Ingress and host-mode ports. */
  t = NULL;
  EXPECT(overlaynet_mesh_rules_add_ingress_port(NULL, TCP, 8080, &t), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_add_ingress_port(r, TCP, 8080, NULL), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_add_ingress_port(r, OVERLAYNET_PROTOCOL_ESP, 8080, &t), BAD_ENUM);
  EXPECT(overlaynet_mesh_rules_add_ingress_port(r, TCP, 8080, &t), OK);
  CHECK(strcmp(take_text(t), "add element inet overlaynet ingress_ports { tcp . 8080 }\n") == 0);
  overlaynet_ip_address container = v4(172, 18, 0, 7);
  EXPECT(overlaynet_mesh_rules_add_host_port(NULL, TCP, 9000, &container, 80, &t), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_add_host_port(r, TCP, 9000, NULL, 80, &t), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_add_host_port(r, TCP, 9000, &container, 80, NULL), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_add_host_port(r, 0, 9000, &container, 80, &t), BAD_ENUM);
  EXPECT(overlaynet_mesh_rules_add_host_port(r, TCP, 9000, &bad, 80, &t), BAD_ENUM);
  EXPECT(overlaynet_mesh_rules_add_host_port(r, TCP, 8080, &container, 80, &t), CONFLICT);
  EXPECT_MESSAGE("port 8080/tcp is already published by an ingress port");
  EXPECT(overlaynet_mesh_rules_add_host_port(r, SCTP, 9000, &container, 80, &t), OK);
  overlaynet_mesh_transaction_free(t);
  EXPECT(overlaynet_mesh_rules_remove_host_port(NULL, SCTP, 9000, &t), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_remove_host_port(r, SCTP, 9000, NULL), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_remove_host_port(r, 1, 9000, &t), BAD_ENUM);
  EXPECT(overlaynet_mesh_rules_remove_host_port(r, SCTP, 9000, &t), OK);
  CHECK(strstr(take_text(t), "delete element") != NULL);

  /* Load balancers. */
  overlaynet_ip_address vips[2] = {v4(10, 0, 0, 2), v6_last(0x22)};
  overlaynet_published_port lb_ports[2] = {{TCP, 8443}, {UDP, 53}};
  overlaynet_ip_address backends[3] = {v4(10, 0, 0, 5), v4(10, 0, 0, 6), v6_last(5)};
  overlaynet_published_port bad_port = {OVERLAYNET_PROTOCOL_ESP, 1};
  EXPECT(overlaynet_mesh_rules_upsert_load_balancer(NULL, 256, vips, 2, lb_ports, 2, backends, 3, &t), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_upsert_load_balancer(r, 256, NULL, 2, lb_ports, 2, backends, 3, &t), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_upsert_load_balancer(r, 256, vips, 2, NULL, 2, backends, 3, &t), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_upsert_load_balancer(r, 256, vips, 2, lb_ports, 2, NULL, 3, &t), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_upsert_load_balancer(r, 256, vips, ABSURD, lb_ports, 2, backends, 3, &t), BAD_LEN);
  EXPECT(overlaynet_mesh_rules_upsert_load_balancer(r, 256, vips, 2, lb_ports, ABSURD, backends, 3, &t), BAD_LEN);
  EXPECT(overlaynet_mesh_rules_upsert_load_balancer(r, 256, vips, 2, lb_ports, 2, backends, ABSURD, &t), BAD_LEN);
  EXPECT(overlaynet_mesh_rules_upsert_load_balancer(r, 256, vips, 2, lb_ports, 2, backends, 3, NULL), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_upsert_load_balancer(r, 256, vips, 2, &bad_port, 1, backends, 3, &t), BAD_ENUM);
  EXPECT(overlaynet_mesh_rules_upsert_load_balancer(r, 256, &bad, 1, lb_ports, 2, backends, 3, &t), BAD_ENUM);
  EXPECT(overlaynet_mesh_rules_upsert_load_balancer(r, 256, vips, 2, lb_ports, 2, &bad, 1, &t), BAD_ENUM);
  EXPECT(overlaynet_mesh_rules_upsert_load_balancer(r, 256, vips, 2, lb_ports, 2, backends, 3, &t), OK);
  CHECK(strstr(take_text(t), "add chain inet overlaynet svc-256") != NULL);
  EXPECT(overlaynet_mesh_rules_upsert_load_balancer(r, 257, vips, 1, NULL, 0, NULL, 0, &t), CONFLICT);
  EXPECT_MESSAGE("VIP 10.0.0.2 is already used by load balancer 256");
  size_t count = 0;
  EXPECT(overlaynet_mesh_rules_load_balancer_count(NULL, &count), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_load_balancer_count(r, NULL), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_load_balancer_count(r, &count), OK);
  CHECK(count == 1);
  EXPECT(overlaynet_mesh_rules_set_backends(NULL, 256, backends, 1, &t), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_set_backends(r, 256, NULL, 1, &t), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_set_backends(r, 256, backends, ABSURD, &t), BAD_LEN);
  EXPECT(overlaynet_mesh_rules_set_backends(r, 256, backends, 1, NULL), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_set_backends(r, 256, &bad, 1, &t), BAD_ENUM);
  EXPECT(overlaynet_mesh_rules_set_backends(r, 999, backends, 1, &t), NOT_FOUND);
  EXPECT_MESSAGE("no load balancer with fwmark 999");
  EXPECT(overlaynet_mesh_rules_set_backends(r, 256, backends, 1, &t), OK);
  CHECK(strstr(take_text(t), "flush chain inet overlaynet svc-256") != NULL);
  EXPECT(overlaynet_mesh_rules_remove_load_balancer(NULL, 256, &t), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_remove_load_balancer(r, 256, NULL), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_remove_load_balancer(r, 999, &t), OK);
  bool empty = false;
  EXPECT(overlaynet_mesh_transaction_is_empty(NULL, &empty), NUL_PARAM);
  EXPECT(overlaynet_mesh_transaction_is_empty(t, NULL), NUL_PARAM);
  EXPECT(overlaynet_mesh_transaction_is_empty(t, &empty), OK);
  CHECK(empty);
  EXPECT(overlaynet_mesh_transaction_text(t, NULL, 0, &n), OK); /* empty text fits (NULL, 0) */
  CHECK(n == 0);
  overlaynet_mesh_transaction_free(t);

  /* SNAT. */
  overlaynet_ip_address source = v4(10, 0, 0, 3);
  EXPECT(overlaynet_mesh_rules_add_snat(NULL, S("10.0.0.0/24"), &source, &t), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_add_snat(r, NULL, 4, &source, &t), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_add_snat(r, INVALID_UTF8, &source, &t), BAD_UTF8);
  EXPECT(overlaynet_mesh_rules_add_snat(r, (const uint8_t *)"10.0.0.0/24", ABSURD, &source, &t), BAD_LEN);
  EXPECT(overlaynet_mesh_rules_add_snat(r, S("10.0.0.0/24"), NULL, &t), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_add_snat(r, S("10.0.0.0/24"), &source, NULL), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_add_snat(r, S("10.0.0.0/24"), &bad, &t), BAD_ENUM);
  EXPECT(overlaynet_mesh_rules_add_snat(r, S("10.0.0.0/33"), &source, &t), BAD_INPUT);
  EXPECT(overlaynet_mesh_rules_add_snat(r, S("fd00::/64"), &source, &t), BAD_INPUT);
  EXPECT(overlaynet_mesh_rules_add_snat(r, S("10.0.0.0/24"), &source, &t), OK);
  overlaynet_mesh_transaction_free(t);
  EXPECT(overlaynet_mesh_rules_add_snat(r, S("10.0.0.128/25"), &source, &t), CONFLICT);
  EXPECT(overlaynet_mesh_rules_remove_snat(NULL, S("10.0.0.0/24"), &t), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_remove_snat(r, NULL, 3, &t), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_remove_snat(r, INVALID_UTF8, &t), BAD_UTF8);
  EXPECT(overlaynet_mesh_rules_remove_snat(r, S("10.0.0.0"), &t), BAD_INPUT);
  EXPECT(overlaynet_mesh_rules_remove_snat(r, S("10.0.0.0/24"), NULL), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_remove_snat(r, S("10.0.0.0/24"), &t), OK);
  CHECK(strstr(take_text(t), "delete element inet overlaynet snat4") != NULL);

  /* Task redirects. */
  overlaynet_ip_address task_addrs[1] = {v4(10, 0, 0, 5)};
  overlaynet_port_redirect redirects[2] = {{TCP, 8080, 80}, {TCP, 8080, 81}};
  EXPECT(overlaynet_mesh_rules_set_task_redirects(NULL, task_addrs, 1, redirects, 1, &t), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_set_task_redirects(r, NULL, 1, redirects, 1, &t), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_set_task_redirects(r, task_addrs, 1, NULL, 1, &t), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_set_task_redirects(r, task_addrs, ABSURD, redirects, 1, &t), BAD_LEN);
  EXPECT(overlaynet_mesh_rules_set_task_redirects(r, task_addrs, 1, redirects, ABSURD, &t), BAD_LEN);
  EXPECT(overlaynet_mesh_rules_set_task_redirects(r, task_addrs, 1, redirects, 1, NULL), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_set_task_redirects(r, &bad, 1, redirects, 1, &t), BAD_ENUM);
  overlaynet_port_redirect esp = {OVERLAYNET_PROTOCOL_ESP, 1, 1};
  EXPECT(overlaynet_mesh_rules_set_task_redirects(r, task_addrs, 1, &esp, 1, &t), BAD_ENUM);
  EXPECT(overlaynet_mesh_rules_set_task_redirects(r, task_addrs, 1, redirects, 2, &t), CONFLICT);
  EXPECT(overlaynet_mesh_rules_set_task_redirects(r, task_addrs, 1, redirects, 1, &t), OK);
  overlaynet_mesh_transaction_free(t);

  /* Full load, transition and the transaction readers. */
  EXPECT(overlaynet_mesh_rules_full_load(NULL, &t), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_full_load(r, NULL), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_full_load(r, &t), OK);
  TEXT_OUT(overlaynet_mesh_transaction_text, t);
  EXPECT(overlaynet_mesh_transaction_text(NULL, buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_mesh_transaction_command_count(NULL, &count), NUL_PARAM);
  EXPECT(overlaynet_mesh_transaction_command_count(t, NULL), NUL_PARAM);
  EXPECT(overlaynet_mesh_transaction_command_count(t, &count), OK);
  CHECK(count == 3);
  TEXT_OUT(overlaynet_mesh_transaction_command, t, 0);
  EXPECT(overlaynet_mesh_transaction_command(t, 0, buf, sizeof buf, &n), OK);
  CHECK(n == strlen("add table inet overlaynet") && memcmp(buf, "add table inet overlaynet", n) == 0);
  EXPECT(overlaynet_mesh_transaction_command(NULL, 0, buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_mesh_transaction_command(t, 3, buf, sizeof buf, &n), OUT_OF_RANGE);
  EXPECT(overlaynet_mesh_transaction_command(t, ABSURD, buf, sizeof buf, &n), OUT_OF_RANGE);
  EXPECT(overlaynet_mesh_transaction_is_empty(t, &empty), OK);
  CHECK(!empty);
  overlaynet_mesh_transaction_free(t);
  overlaynet_mesh_transaction_free(NULL);

  EXPECT(overlaynet_mesh_rules_transition_from(NULL, old, &t), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_transition_from(r, NULL, &t), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_transition_from(r, old, NULL), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_transition_from(r, old, &t), OK);
  CHECK(strstr(take_text(t), "add element inet overlaynet ingress_ports { tcp . 8080 }") != NULL);

  /* Removing the ingress port twice: the second is a no-op. */
  EXPECT(overlaynet_mesh_rules_remove_ingress_port(NULL, TCP, 8080, &t), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_remove_ingress_port(r, TCP, 8080, NULL), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_remove_ingress_port(r, 50, 8080, &t), BAD_ENUM);
  EXPECT(overlaynet_mesh_rules_remove_ingress_port(r, TCP, 8080, &t), OK);
  CHECK(strcmp(take_text(t), "delete element inet overlaynet ingress_ports { tcp . 8080 }\n") == 0);
  EXPECT(overlaynet_mesh_rules_remove_ingress_port(r, TCP, 8080, &t), OK);
  CHECK(strcmp(take_text(t), "") == 0);

  EXPECT(overlaynet_mesh_rules_clear_gateway(NULL, &t), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_clear_gateway(r, NULL), NUL_PARAM);
  EXPECT(overlaynet_mesh_rules_clear_gateway(r, &t), OK);
  CHECK(strstr(take_text(t), "172.18.0.2") == NULL);

  overlaynet_mesh_rules_free(old);
  overlaynet_mesh_rules_free(r);
  overlaynet_mesh_rules_free(NULL);
}

int main(void) {
  test_parsing();
  test_port_lists();
  test_allocator();
  test_resolver();
  test_mesh_rules();
  overlaynet_last_error_clear();
  printf("misuse_publish: %d checks, %d failures\n", checks, failures);
  return failures == 0 ? 0 : 1;
}

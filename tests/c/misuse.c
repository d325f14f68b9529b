/*
 * Misuse test for the overlaynet C ABI: every function gets NULL pointers, invalid UTF-8,
 * absurd lengths, too-small buffers and free/NULL sequences, and must answer with the
 * documented result code and a last-error message, never a crash or a leak. Run under
 * valgrind by scripts/test.d/20-capi.sh.
 */

#include "check.h"

static const uint8_t invalid_utf8[] = {'n', 'e', 't', 0xff, 0xfe};
#define INVALID_UTF8 invalid_utf8, sizeof invalid_utf8

static uint8_t buf[256];
static size_t n;

static void test_library(void) {
  CHECK(strlen(overlaynet_version()) > 0);
  CHECK(strcmp(overlaynet_result_description(OVERLAYNET_RESULT_OK), "success") == 0);
  CHECK(strcmp(overlaynet_result_description(123456u), "unknown result code") == 0);
  CHECK(strlen(overlaynet_result_description(OVERLAYNET_RESULT_PANIC)) > 0);

  /* Last error: NULL out_n, NULL buffer with a length, absurd length, size query. */
  overlaynet_last_error_clear();
  CHECK(overlaynet_last_error_message(buf, sizeof buf, NULL) == NUL_PARAM);
  CHECK(overlaynet_last_error_message(NULL, 10, &n) == NUL_PARAM);
  CHECK(overlaynet_last_error_message(buf, ABSURD, &n) == BAD_LEN);
  n = 99;
  CHECK(overlaynet_last_error_message(NULL, 0, &n) == OK && n == 0);
}

/* A text getter `f(args..., buf, len, out_n)` that succeeds with a non-empty result must also
 * report the needed length for a size query and a too-small buffer, refuse NULL out_n, NULL
 * buf with a length, and an absurd length. */
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

static void test_options(void) {
  overlaynet_options *o = NULL;
  EXPECT(overlaynet_options_new(NULL), NUL_PARAM);
  EXPECT(overlaynet_options_new(&o), OK);
  EXPECT(overlaynet_options_set(NULL, S("k"), S("v")), NUL_PARAM);
  EXPECT(overlaynet_options_set(o, NULL, 1, S("v")), NUL_PARAM);
  EXPECT(overlaynet_options_set(o, S("k"), NULL, 1), NUL_PARAM);
  EXPECT(overlaynet_options_set(o, INVALID_UTF8, S("v")), BAD_UTF8);
  EXPECT(overlaynet_options_set(o, S("k"), INVALID_UTF8), BAD_UTF8);
  EXPECT(overlaynet_options_set(o, (const uint8_t *)"k", ABSURD, S("v")), BAD_LEN);
  EXPECT(overlaynet_options_set(o, (const uint8_t *)"k", OVERLAYNET_MAX_INPUT_LEN + 1, S("v")), BAD_LEN);
  EXPECT(overlaynet_options_set(o, S("k"), (const uint8_t *)"v", ABSURD), BAD_LEN);
  EXPECT(overlaynet_options_set(o, S("encrypted"), NULL, 0), OK); /* (NULL, 0) is "" */
  EXPECT(overlaynet_options_set(o, S("com.docker.network.driver.mtu"), S("1400")), OK);
  size_t count = 0;
  EXPECT(overlaynet_options_count(NULL, &count), NUL_PARAM);
  EXPECT(overlaynet_options_count(o, NULL), NUL_PARAM);
  EXPECT(overlaynet_options_count(o, &count), OK);
  CHECK(count == 2);
  TEXT_OUT(overlaynet_options_get, o, S("com.docker.network.driver.mtu"));
  EXPECT(overlaynet_options_get(NULL, S("k"), buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_options_get(o, NULL, 3, buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_options_get(o, INVALID_UTF8, buf, sizeof buf, &n), BAD_UTF8);
  EXPECT(overlaynet_options_get(o, S("absent"), buf, sizeof buf, &n), OVERLAYNET_RESULT_NOT_FOUND);
  TEXT_OUT(overlaynet_options_key_at, o, 0);
  TEXT_OUT(overlaynet_options_value_at, o, 0);
  EXPECT(overlaynet_options_key_at(NULL, 0, buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_options_value_at(NULL, 0, buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_options_key_at(o, 2, buf, sizeof buf, &n), OVERLAYNET_RESULT_INDEX_OUT_OF_RANGE);
  EXPECT(overlaynet_options_value_at(o, (size_t)-1, buf, sizeof buf, &n), OVERLAYNET_RESULT_INDEX_OUT_OF_RANGE);
  bool removed = true;
  EXPECT(overlaynet_options_remove(NULL, S("k"), &removed), NUL_PARAM);
  EXPECT(overlaynet_options_remove(o, NULL, 2, &removed), NUL_PARAM);
  EXPECT(overlaynet_options_remove(o, INVALID_UTF8, &removed), BAD_UTF8);
  EXPECT(overlaynet_options_remove(o, S("absent"), &removed), OK);
  CHECK(!removed);
  EXPECT(overlaynet_options_remove(o, S("encrypted"), NULL), OK); /* out_removed is optional */
  EXPECT(overlaynet_options_count(o, &count), OK);
  CHECK(count == 1);
  overlaynet_options_free(o);
  overlaynet_options_free(NULL);
}

static void test_mtu_and_vni(void) {
  uint32_t mtu = 0;
  EXPECT(overlaynet_mtu_docker(0, true, NULL), NUL_PARAM);
  EXPECT(overlaynet_mtu_docker(0, true, &mtu), OK);
  CHECK(mtu == 1424);
  EXPECT(overlaynet_mtu_docker(100, false, &mtu), OVERLAYNET_RESULT_INVALID_INPUT);
  EXPECT(overlaynet_mtu_docker(UINT32_MAX, false, &mtu), OVERLAYNET_RESULT_INVALID_INPUT);
  EXPECT(overlaynet_mtu_effective(1500, OVERLAYNET_ENCRYPTION_OFF, OVERLAYNET_FAMILY_IPV6, NULL), NUL_PARAM);
  EXPECT(overlaynet_mtu_effective(1500, OVERLAYNET_ENCRYPTION_OFF, OVERLAYNET_FAMILY_IPV6, &mtu), OK);
  CHECK(mtu == 1430);
  EXPECT(overlaynet_mtu_effective(1500, 3, OVERLAYNET_FAMILY_IPV4, &mtu), BAD_ENUM);
  EXPECT(overlaynet_mtu_effective(1500, OVERLAYNET_ENCRYPTION_OFF, 5, &mtu), BAD_ENUM);
  EXPECT(overlaynet_mtu_effective(1500, UINT32_MAX, UINT32_MAX, &mtu), BAD_ENUM);
  EXPECT(overlaynet_mtu_parse_option(S("9000"), &mtu), OK);
  CHECK(mtu == 9000);
  EXPECT(overlaynet_mtu_parse_option(S("9000"), NULL), NUL_PARAM);
  EXPECT(overlaynet_mtu_parse_option(NULL, 4, &mtu), NUL_PARAM);
  EXPECT(overlaynet_mtu_parse_option(INVALID_UTF8, &mtu), BAD_UTF8);
  EXPECT(overlaynet_mtu_parse_option((const uint8_t *)"1", ABSURD, &mtu), BAD_LEN);
  EXPECT(overlaynet_mtu_parse_option(S("-1"), &mtu), OVERLAYNET_RESULT_INVALID_INPUT);
  EXPECT(overlaynet_mtu_parse_option(S("12ab"), &mtu), OVERLAYNET_RESULT_INVALID_INPUT);
  EXPECT(overlaynet_mtu_parse_option(NULL, 0, &mtu), OVERLAYNET_RESULT_INVALID_INPUT);

  uint32_t vnis[4] = {0};
  EXPECT(overlaynet_vni_list_parse(S("4097,4098"), vnis, 4, &n), OK);
  CHECK(n == 2 && vnis[0] == 4097 && vnis[1] == 4098);
  EXPECT(overlaynet_vni_list_parse(S("1,2,3"), vnis, 2, &n), TOO_SMALL);
  CHECK(n == 3);
  EXPECT(overlaynet_vni_list_parse(S("1,2,3"), NULL, 0, &n), TOO_SMALL);
  EXPECT(overlaynet_vni_list_parse(S("1"), NULL, 2, &n), NUL_PARAM);
  EXPECT(overlaynet_vni_list_parse(S("1"), vnis, 4, NULL), NUL_PARAM);
  EXPECT(overlaynet_vni_list_parse(S("1"), vnis, ABSURD, &n), BAD_LEN);
  EXPECT(overlaynet_vni_list_parse(NULL, 5, vnis, 4, &n), NUL_PARAM);
  EXPECT(overlaynet_vni_list_parse(INVALID_UTF8, vnis, 4, &n), BAD_UTF8);
  EXPECT(overlaynet_vni_list_parse(S("4097,x"), vnis, 4, &n), OVERLAYNET_RESULT_INVALID_INPUT);
  EXPECT(overlaynet_vni_list_parse(S("16777216"), vnis, 4, &n), OVERLAYNET_RESULT_INVALID_INPUT);
  TEXT_OUT(overlaynet_vni_list_format, vnis, 2);
  EXPECT(overlaynet_vni_list_format(NULL, 2, buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_vni_list_format(vnis, ABSURD, buf, sizeof buf, &n), BAD_LEN);
  vnis[0] = 0;
  EXPECT(overlaynet_vni_list_format(vnis, 1, buf, sizeof buf, &n), OVERLAYNET_RESULT_INVALID_INPUT);

  overlaynet_vni_allocator *a = NULL;
  uint32_t vni = 0;
  uint64_t allocated = 0;
  EXPECT(overlaynet_vni_allocator_new(NULL), NUL_PARAM);
  EXPECT(overlaynet_vni_allocator_new(&a), OK);
  EXPECT(overlaynet_vni_allocator_allocate(NULL, &vni), NUL_PARAM);
  EXPECT(overlaynet_vni_allocator_allocate(a, NULL), NUL_PARAM);
  EXPECT(overlaynet_vni_allocator_allocate(a, &vni), OK);
  CHECK(vni == 4096);
  EXPECT(overlaynet_vni_allocator_reserve(NULL, 5000), NUL_PARAM);
  EXPECT(overlaynet_vni_allocator_reserve(a, 4096), OVERLAYNET_RESULT_CONFLICT);
  EXPECT(overlaynet_vni_allocator_reserve(a, 0), OVERLAYNET_RESULT_INVALID_INPUT);
  EXPECT(overlaynet_vni_allocator_reserve(a, UINT32_MAX), OVERLAYNET_RESULT_INVALID_INPUT);
  EXPECT(overlaynet_vni_allocator_release(NULL, 4096), NUL_PARAM);
  EXPECT(overlaynet_vni_allocator_release(a, 4096), OK);
  EXPECT(overlaynet_vni_allocator_release(a, 4096), OVERLAYNET_RESULT_NOT_FOUND);
  EXPECT(overlaynet_vni_allocator_release(a, 0), OVERLAYNET_RESULT_INVALID_INPUT);
  EXPECT(overlaynet_vni_allocator_count(NULL, &allocated), NUL_PARAM);
  EXPECT(overlaynet_vni_allocator_count(a, NULL), NUL_PARAM);
  EXPECT(overlaynet_vni_allocator_count(a, &allocated), OK);
  CHECK(allocated == 0);
  overlaynet_vni_allocator_free(a);
  overlaynet_vni_allocator_free(NULL);
}

static void test_ipam(void) {
  overlaynet_ipam_config *c = NULL;
  EXPECT(overlaynet_ipam_config_new(S("10.1.0.0/24"), NULL), NUL_PARAM);
  EXPECT(overlaynet_ipam_config_new(NULL, 4, &c), NUL_PARAM);
  EXPECT(overlaynet_ipam_config_new(INVALID_UTF8, &c), BAD_UTF8);
  EXPECT(overlaynet_ipam_config_new((const uint8_t *)"10.1.0.0/24", ABSURD, &c), BAD_LEN);
  EXPECT(overlaynet_ipam_config_new(S("10.1.0.0/33"), &c), OVERLAYNET_RESULT_INVALID_INPUT);
  EXPECT(overlaynet_ipam_config_new(NULL, 0, &c), OVERLAYNET_RESULT_INVALID_INPUT);
  CHECK(c == NULL); /* failures write no out-parameter */
  EXPECT(overlaynet_ipam_config_new(S("10.1.0.0/24"), &c), OK);
  EXPECT(overlaynet_ipam_config_set_ip_range(NULL, S("10.1.0.128/25")), NUL_PARAM);
  EXPECT(overlaynet_ipam_config_set_ip_range(c, NULL, 3), NUL_PARAM);
  EXPECT(overlaynet_ipam_config_set_ip_range(c, INVALID_UTF8), BAD_UTF8);
  EXPECT(overlaynet_ipam_config_set_ip_range(c, S("bogus")), OVERLAYNET_RESULT_INVALID_INPUT);
  EXPECT(overlaynet_ipam_config_set_ip_range(c, S("10.1.0.128/25")), OK);
  EXPECT(overlaynet_ipam_config_set_gateway(NULL, S("10.1.0.1")), NUL_PARAM);
  EXPECT(overlaynet_ipam_config_set_gateway(c, NULL, 1), NUL_PARAM);
  EXPECT(overlaynet_ipam_config_set_gateway(c, INVALID_UTF8), BAD_UTF8);
  EXPECT(overlaynet_ipam_config_set_gateway(c, (const uint8_t *)"10.1.0.1", ABSURD), BAD_LEN);
  EXPECT(overlaynet_ipam_config_set_gateway(c, S("10.1.0.1/24")), OVERLAYNET_RESULT_INVALID_INPUT);
  EXPECT(overlaynet_ipam_config_set_gateway(c, S("10.1.0.1")), OK);
  EXPECT(overlaynet_ipam_config_add_aux_address(NULL, S("r"), S("10.1.0.2")), NUL_PARAM);
  EXPECT(overlaynet_ipam_config_add_aux_address(c, NULL, 1, S("10.1.0.2")), NUL_PARAM);
  EXPECT(overlaynet_ipam_config_add_aux_address(c, S("r"), NULL, 1), NUL_PARAM);
  EXPECT(overlaynet_ipam_config_add_aux_address(c, INVALID_UTF8, S("10.1.0.2")), BAD_UTF8);
  EXPECT(overlaynet_ipam_config_add_aux_address(c, S("r"), INVALID_UTF8), BAD_UTF8);
  EXPECT(overlaynet_ipam_config_add_aux_address(c, S("r"), S("10.1.0")), OVERLAYNET_RESULT_INVALID_INPUT);
  EXPECT(overlaynet_ipam_config_add_aux_address(c, S("r"), S("10.1.0.2")), OK);
  overlaynet_ipam_config_free(c);
  overlaynet_ipam_config_free(NULL);
}

/* Every string setter `f(handle, ptr, len)`: NULL handle, NULL with a length, invalid UTF-8,
 * absurd length. */
#define STR_SETTER(f, h)                                                                    \
  do {                                                                                      \
    EXPECT(f(NULL, S("x")), NUL_PARAM);                                                     \
    EXPECT(f(h, NULL, 3), NUL_PARAM);                                                       \
    EXPECT(f(h, INVALID_UTF8), BAD_UTF8);                                                   \
    EXPECT(f(h, (const uint8_t *)"x", ABSURD), BAD_LEN);                                    \
  } while (0)

/* Every key/value setter `f(handle, k, k_len, v, v_len)`. */
#define KV_SETTER(f, h)                                                                     \
  do {                                                                                      \
    EXPECT(f(NULL, S("k"), S("v")), NUL_PARAM);                                             \
    EXPECT(f(h, NULL, 1, S("v")), NUL_PARAM);                                               \
    EXPECT(f(h, S("k"), NULL, 1), NUL_PARAM);                                               \
    EXPECT(f(h, INVALID_UTF8, S("v")), BAD_UTF8);                                           \
    EXPECT(f(h, S("k"), INVALID_UTF8), BAD_UTF8);                                           \
    EXPECT(f(h, S("k"), (const uint8_t *)"v", ABSURD), BAD_LEN);                            \
  } while (0)

static void test_overlay(void) {
  overlaynet_overlay_builder *b = NULL;
  overlaynet_overlay_network *net = NULL, *net2 = NULL;
  overlaynet_options *opts = NULL;
  overlaynet_ipam_config *c = NULL;
  EXPECT(overlaynet_overlay_builder_new(S("web"), NULL), NUL_PARAM);
  EXPECT(overlaynet_overlay_builder_new(NULL, 3, &b), NUL_PARAM);
  EXPECT(overlaynet_overlay_builder_new(INVALID_UTF8, &b), BAD_UTF8);
  EXPECT(overlaynet_overlay_builder_new((const uint8_t *)"web", ABSURD, &b), BAD_LEN);
  CHECK(b == NULL);
  EXPECT(overlaynet_overlay_builder_new(S("web"), &b), OK);
  STR_SETTER(overlaynet_overlay_builder_add_subnet, b);
  EXPECT(overlaynet_overlay_builder_add_subnet(b, S("10.5.0.0")), OVERLAYNET_RESULT_INVALID_INPUT);
  EXPECT(overlaynet_overlay_builder_add_subnet(b, S("10.5.0.0/24")), OK);
  EXPECT(overlaynet_ipam_config_new(S("10.6.0.0/24"), &c), OK);
  EXPECT(overlaynet_overlay_builder_add_ipam(NULL, c), NUL_PARAM);
  EXPECT(overlaynet_overlay_builder_add_ipam(b, NULL), NUL_PARAM);
  EXPECT(overlaynet_overlay_builder_add_ipam(b, c), OK);
  overlaynet_ipam_config_free(c); /* the builder holds a copy */
  EXPECT(overlaynet_overlay_builder_set_attachable(NULL, true), NUL_PARAM);
  EXPECT(overlaynet_overlay_builder_set_attachable(b, true), OK);
  EXPECT(overlaynet_overlay_builder_set_internal(NULL, true), NUL_PARAM);
  EXPECT(overlaynet_overlay_builder_set_internal(b, false), OK);
  EXPECT(overlaynet_overlay_builder_set_encryption(NULL, OVERLAYNET_ENCRYPTION_HARDENED), NUL_PARAM);
  EXPECT(overlaynet_overlay_builder_set_encryption(b, 7), BAD_ENUM);
  EXPECT(overlaynet_overlay_builder_set_encryption(b, OVERLAYNET_ENCRYPTION_DOCKER_COMPATIBLE), OK);
  EXPECT(overlaynet_overlay_builder_set_mtu(NULL, 1400), NUL_PARAM);
  KV_SETTER(overlaynet_overlay_builder_add_label, b);
  KV_SETTER(overlaynet_overlay_builder_add_driver_option, b);
  uint32_t vnis[2] = {5000, 5001};
  EXPECT(overlaynet_overlay_builder_set_vnis(NULL, vnis, 2), NUL_PARAM);
  EXPECT(overlaynet_overlay_builder_set_vnis(b, NULL, 2), NUL_PARAM);
  EXPECT(overlaynet_overlay_builder_set_vnis(b, vnis, ABSURD), BAD_LEN);
  EXPECT(overlaynet_overlay_builder_set_vnis(b, vnis, 2), OK);
  /* Validation happens in build and leaves the builder usable. */
  EXPECT(overlaynet_overlay_builder_set_mtu(b, 100), OK);
  EXPECT(overlaynet_overlay_builder_build(b, &net), OVERLAYNET_RESULT_INVALID_INPUT);
  CHECK(net == NULL);
  EXPECT(overlaynet_overlay_builder_set_mtu(b, 1400), OK);
  EXPECT(overlaynet_overlay_builder_build(NULL, &net), NUL_PARAM);
  EXPECT(overlaynet_overlay_builder_build(b, NULL), NUL_PARAM);
  EXPECT(overlaynet_overlay_builder_build(b, &net), OK);
  EXPECT(overlaynet_overlay_builder_build(b, &net2), OK); /* building twice is fine */
  overlaynet_overlay_builder_free(b);                      /* networks outlive their builder */
  overlaynet_overlay_builder_free(NULL);
  TEXT_OUT(overlaynet_overlay_network_name, net);
  EXPECT(overlaynet_overlay_network_name(NULL, buf, sizeof buf, &n), NUL_PARAM);
  uint32_t enc = 99;
  EXPECT(overlaynet_overlay_network_encryption(NULL, &enc), NUL_PARAM);
  EXPECT(overlaynet_overlay_network_encryption(net, NULL), NUL_PARAM);
  EXPECT(overlaynet_overlay_network_encryption(net, &enc), OK);
  CHECK(enc == OVERLAYNET_ENCRYPTION_DOCKER_COMPATIBLE);
  bool flag = false;
  uint32_t option_mtu = 0;
  EXPECT(overlaynet_overlay_network_attachable(NULL, &flag), NUL_PARAM);
  EXPECT(overlaynet_overlay_network_attachable(net, NULL), NUL_PARAM);
  EXPECT(overlaynet_overlay_network_attachable(net, &flag), OK);
  CHECK(flag);
  EXPECT(overlaynet_overlay_network_ingress(NULL, &flag), NUL_PARAM);
  EXPECT(overlaynet_overlay_network_ingress(net, NULL), NUL_PARAM);
  EXPECT(overlaynet_overlay_network_ingress(net, &flag), OK);
  CHECK(!flag);
  EXPECT(overlaynet_overlay_network_internal(NULL, &flag), NUL_PARAM);
  EXPECT(overlaynet_overlay_network_internal(net, NULL), NUL_PARAM);
  EXPECT(overlaynet_overlay_network_internal(net, &flag), OK);
  CHECK(!flag);
  EXPECT(overlaynet_overlay_network_mtu(NULL, &option_mtu), NUL_PARAM);
  EXPECT(overlaynet_overlay_network_mtu(net, NULL), NUL_PARAM);
  EXPECT(overlaynet_overlay_network_mtu(net, &option_mtu), OK);
  CHECK(option_mtu == 1400);
  EXPECT(overlaynet_overlay_network_labels(NULL, &opts), NUL_PARAM);
  EXPECT(overlaynet_overlay_network_labels(net, NULL), NUL_PARAM);
  EXPECT(overlaynet_overlay_network_labels(net, &opts), OK);
  overlaynet_options_free(opts);
  opts = NULL;
  EXPECT(overlaynet_overlay_network_driver_options(NULL, &opts), NUL_PARAM);
  EXPECT(overlaynet_overlay_network_driver_options(net, NULL), NUL_PARAM);
  EXPECT(overlaynet_overlay_network_driver_options(net, &opts), OK);
  TEXT_OUT(overlaynet_options_get, opts, S("com.docker.network.driver.overlay.vxlanid_list"));
  CHECK(n == 9 && memcmp(buf, "5000,5001", 9) == 0);

  /* Round trip through Docker's option map. */
  overlaynet_overlay_builder *from = NULL;
  EXPECT(overlaynet_overlay_builder_from_options(S("web2"), NULL, &from), NUL_PARAM);
  EXPECT(overlaynet_overlay_builder_from_options(S("web2"), opts, NULL), NUL_PARAM);
  EXPECT(overlaynet_overlay_builder_from_options(NULL, 1, opts, &from), NUL_PARAM);
  EXPECT(overlaynet_overlay_builder_from_options(INVALID_UTF8, opts, &from), BAD_UTF8);
  EXPECT(overlaynet_overlay_builder_from_options(S("web2"), opts, &from), OK);
  overlaynet_overlay_builder_free(from);
  EXPECT(overlaynet_options_set(opts, S("com.docker.network.driver.mtu"), S("abc")), OK);
  from = NULL;
  EXPECT(overlaynet_overlay_builder_from_options(S("web2"), opts, &from), OVERLAYNET_RESULT_INVALID_INPUT);
  CHECK(from == NULL);
  overlaynet_options_free(opts);
  overlaynet_overlay_network_free(net);
  overlaynet_overlay_network_free(net2);
  overlaynet_overlay_network_free(NULL);
}

static void test_ingress_and_gwbridge(void) {
  overlaynet_ingress_builder *ib = NULL;
  overlaynet_ingress_network *in = NULL;
  overlaynet_overlay_network *as_overlay = NULL;
  overlaynet_options *opts = NULL;
  overlaynet_ipam_config *c = NULL;
  EXPECT(overlaynet_ipam_config_new(S("10.255.0.0/16"), &c), OK);
  EXPECT(overlaynet_ingress_builder_new(NULL), NUL_PARAM);
  EXPECT(overlaynet_ingress_builder_new(&ib), OK);
  STR_SETTER(overlaynet_ingress_builder_set_name, ib);
  STR_SETTER(overlaynet_ingress_builder_add_subnet, ib);
  EXPECT(overlaynet_ingress_builder_add_ipam(NULL, c), NUL_PARAM);
  EXPECT(overlaynet_ingress_builder_add_ipam(ib, NULL), NUL_PARAM);
  EXPECT(overlaynet_ingress_builder_add_ipam(ib, c), OK);
  EXPECT(overlaynet_ingress_builder_set_encryption(NULL, 0), NUL_PARAM);
  EXPECT(overlaynet_ingress_builder_set_encryption(ib, 3), BAD_ENUM);
  EXPECT(overlaynet_ingress_builder_set_mtu(NULL, 1500), NUL_PARAM);
  EXPECT(overlaynet_ingress_builder_set_mtu(ib, 1500), OK);
  uint32_t vni = 4096;
  EXPECT(overlaynet_ingress_builder_set_vnis(NULL, &vni, 1), NUL_PARAM);
  EXPECT(overlaynet_ingress_builder_set_vnis(ib, NULL, 1), NUL_PARAM);
  EXPECT(overlaynet_ingress_builder_set_vnis(ib, &vni, ABSURD), BAD_LEN);
  EXPECT(overlaynet_ingress_builder_set_vnis(ib, &vni, 1), OK);
  KV_SETTER(overlaynet_ingress_builder_add_driver_option, ib);
  KV_SETTER(overlaynet_ingress_builder_add_label, ib);
  EXPECT(overlaynet_ingress_builder_set_attachable(NULL, true), NUL_PARAM);
  EXPECT(overlaynet_ingress_builder_set_attachable(ib, true), OK);
  EXPECT(overlaynet_ingress_builder_build(ib, &in), OVERLAYNET_RESULT_INVALID_INPUT); /* attachable ingress */
  EXPECT(overlaynet_ingress_builder_set_attachable(ib, false), OK);
  EXPECT(overlaynet_ingress_builder_build(NULL, &in), NUL_PARAM);
  EXPECT(overlaynet_ingress_builder_build(ib, NULL), NUL_PARAM);
  EXPECT(overlaynet_ingress_builder_build(ib, &in), OK);
  EXPECT(overlaynet_ingress_network_overlay(NULL, &as_overlay), NUL_PARAM);
  EXPECT(overlaynet_ingress_network_overlay(in, NULL), NUL_PARAM);
  EXPECT(overlaynet_ingress_network_overlay(in, &as_overlay), OK);
  EXPECT(overlaynet_ingress_network_driver_options(NULL, &opts), NUL_PARAM);
  EXPECT(overlaynet_ingress_network_driver_options(in, NULL), NUL_PARAM);
  EXPECT(overlaynet_ingress_network_driver_options(in, &opts), OK);
  overlaynet_options_free(opts);
  overlaynet_overlay_network_free(as_overlay);
  overlaynet_ingress_network_free(in);
  overlaynet_ingress_network_free(NULL);
  overlaynet_ingress_builder_free(ib);
  overlaynet_ingress_builder_free(NULL);

  overlaynet_gwbridge_builder *gb = NULL;
  overlaynet_gwbridge_network *gw = NULL;
  EXPECT(overlaynet_gwbridge_builder_new(NULL), NUL_PARAM);
  EXPECT(overlaynet_gwbridge_builder_new(&gb), OK);
  STR_SETTER(overlaynet_gwbridge_builder_set_name, gb);
  STR_SETTER(overlaynet_gwbridge_builder_set_bridge_name, gb);
  STR_SETTER(overlaynet_gwbridge_builder_set_subnet, gb);
  KV_SETTER(overlaynet_gwbridge_builder_add_driver_option, gb);
  KV_SETTER(overlaynet_gwbridge_builder_add_label, gb);
  EXPECT(overlaynet_gwbridge_builder_set_enable_icc(NULL, true), NUL_PARAM);
  EXPECT(overlaynet_gwbridge_builder_set_enable_icc(gb, true), OK);
  EXPECT(overlaynet_gwbridge_builder_set_enable_ip_masquerade(NULL, true), NUL_PARAM);
  EXPECT(overlaynet_gwbridge_builder_set_enable_ip_masquerade(gb, false), OK);
  EXPECT(overlaynet_gwbridge_builder_set_mtu(NULL, 1500), NUL_PARAM);
  EXPECT(overlaynet_gwbridge_builder_set_mtu(gb, 1500), OK);
  EXPECT(overlaynet_gwbridge_builder_set_ipam(NULL, c), NUL_PARAM);
  EXPECT(overlaynet_gwbridge_builder_set_ipam(gb, NULL), NUL_PARAM);
  EXPECT(overlaynet_gwbridge_builder_set_ipam(gb, c), OK);
  EXPECT(overlaynet_gwbridge_builder_set_bridge_name(gb, S("a-bridge-name-longer-than-15")), OK);
  EXPECT(overlaynet_gwbridge_builder_build(gb, &gw), OVERLAYNET_RESULT_INVALID_INPUT);
  EXPECT(overlaynet_gwbridge_builder_set_bridge_name(gb, S("gwbr0")), OK);
  EXPECT(overlaynet_gwbridge_builder_build(NULL, &gw), NUL_PARAM);
  EXPECT(overlaynet_gwbridge_builder_build(gb, NULL), NUL_PARAM);
  EXPECT(overlaynet_gwbridge_builder_build(gb, &gw), OK);
  TEXT_OUT(overlaynet_gwbridge_network_bridge_name, gw);
  TEXT_OUT(overlaynet_gwbridge_network_subnet, gw);
  TEXT_OUT(overlaynet_gwbridge_network_gateway, gw);
  EXPECT(overlaynet_gwbridge_network_gateway(NULL, buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_gwbridge_network_bridge_name(NULL, buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_gwbridge_network_subnet(NULL, buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_gwbridge_network_driver_options(NULL, &opts), NUL_PARAM);
  EXPECT(overlaynet_gwbridge_network_driver_options(gw, NULL), NUL_PARAM);
  EXPECT(overlaynet_gwbridge_network_driver_options(gw, &opts), OK);
  overlaynet_gwbridge_builder *again = NULL;
  EXPECT(overlaynet_gwbridge_builder_from_options(NULL, &again), NUL_PARAM);
  EXPECT(overlaynet_gwbridge_builder_from_options(opts, NULL), NUL_PARAM);
  EXPECT(overlaynet_gwbridge_builder_from_options(opts, &again), OK);
  overlaynet_gwbridge_builder_free(again);
  again = NULL;
  EXPECT(overlaynet_options_set(opts, S("com.docker.network.bridge.enable_icc"), S("maybe")), OK);
  EXPECT(overlaynet_gwbridge_builder_from_options(opts, &again), OVERLAYNET_RESULT_INVALID_INPUT);
  CHECK(again == NULL);
  overlaynet_options_free(opts);
  overlaynet_gwbridge_network_free(gw);
  overlaynet_gwbridge_network_free(NULL);
  overlaynet_gwbridge_builder_free(gb);
  overlaynet_gwbridge_builder_free(NULL);

  /* A gwbridge without an explicit subnet has none to report. */
  EXPECT(overlaynet_gwbridge_builder_new(&gb), OK);
  EXPECT(overlaynet_gwbridge_builder_build(gb, &gw), OK);
  EXPECT(overlaynet_gwbridge_network_subnet(gw, buf, sizeof buf, &n), OVERLAYNET_RESULT_NOT_FOUND);
  EXPECT(overlaynet_gwbridge_network_gateway(gw, buf, sizeof buf, &n), OVERLAYNET_RESULT_NOT_FOUND);
  overlaynet_gwbridge_network_free(gw);
  overlaynet_gwbridge_builder_free(gb);
  overlaynet_ipam_config_free(c);
}

static void test_node(void) {
  overlaynet_node_builder *nb = NULL;
  overlaynet_node_config *node = NULL;
  EXPECT(overlaynet_node_builder_new(S("n1"), S("192.168.1.10"), NULL), NUL_PARAM);
  EXPECT(overlaynet_node_builder_new(NULL, 2, S("192.168.1.10"), &nb), NUL_PARAM);
  EXPECT(overlaynet_node_builder_new(S("n1"), NULL, 2, &nb), NUL_PARAM);
  EXPECT(overlaynet_node_builder_new(INVALID_UTF8, S("192.168.1.10"), &nb), BAD_UTF8);
  EXPECT(overlaynet_node_builder_new(S("n1"), INVALID_UTF8, &nb), BAD_UTF8);
  EXPECT(overlaynet_node_builder_new(S("n1"), (const uint8_t *)"1", ABSURD, &nb), BAD_LEN);
  EXPECT(overlaynet_node_builder_new(S("n1"), S("eth0"), &nb), OVERLAYNET_RESULT_INVALID_INPUT);
  CHECK(nb == NULL);
  EXPECT(overlaynet_node_builder_new(S("n1"), S("192.168.1.10"), &nb), OK);
  STR_SETTER(overlaynet_node_builder_set_data_path_addr, nb);
  STR_SETTER(overlaynet_node_builder_set_listen_addr, nb);
  EXPECT(overlaynet_node_builder_set_listen_addr(nb, S("192.168.1.10")), OVERLAYNET_RESULT_INVALID_INPUT);
  EXPECT(overlaynet_node_builder_set_listen_addr(nb, S("0.0.0.0:2377")), OK);
  EXPECT(overlaynet_node_builder_set_data_path_addr(nb, S("10.99.0.10")), OK);
  EXPECT(overlaynet_node_builder_set_os(NULL, OVERLAYNET_NODE_OS_LINUX), NUL_PARAM);
  EXPECT(overlaynet_node_builder_set_os(nb, 2), BAD_ENUM);
  EXPECT(overlaynet_node_builder_set_data_path_port(NULL, 4789), NUL_PARAM);
  EXPECT(overlaynet_node_builder_set_data_path_port(nb, 80), OK);
  EXPECT(overlaynet_node_builder_build(nb, &node), OVERLAYNET_RESULT_INVALID_INPUT);
  CHECK(node == NULL);
  EXPECT(overlaynet_node_builder_set_data_path_port(nb, 0), OK);
  EXPECT(overlaynet_node_builder_build(NULL, &node), NUL_PARAM);
  EXPECT(overlaynet_node_builder_build(nb, NULL), NUL_PARAM);
  EXPECT(overlaynet_node_builder_build(nb, &node), OK);
  overlaynet_node_builder_free(nb);
  overlaynet_node_builder_free(NULL);
  TEXT_OUT(overlaynet_node_config_vtep, node);
  CHECK(n == 10 && memcmp(buf, "10.99.0.10", 10) == 0);
  TEXT_OUT(overlaynet_node_config_bind_addr, node);
  TEXT_OUT(overlaynet_node_config_id, node);
  CHECK(n == 2 && memcmp(buf, "n1", 2) == 0);
  TEXT_OUT(overlaynet_node_config_listen_addr, node);
  CHECK(n == 12 && memcmp(buf, "0.0.0.0:2377", 12) == 0);
  EXPECT(overlaynet_node_config_id(NULL, buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_node_config_listen_addr(NULL, buf, sizeof buf, &n), NUL_PARAM);
  uint32_t os = 99;
  EXPECT(overlaynet_node_config_os(NULL, &os), NUL_PARAM);
  EXPECT(overlaynet_node_config_os(node, NULL), NUL_PARAM);
  EXPECT(overlaynet_node_config_os(node, &os), OK);
  CHECK(os == OVERLAYNET_NODE_OS_LINUX);
  EXPECT(overlaynet_node_config_vtep(NULL, buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_node_config_bind_addr(NULL, buf, sizeof buf, &n), NUL_PARAM);
  uint16_t port = 0;
  EXPECT(overlaynet_node_config_data_path_port(NULL, &port), NUL_PARAM);
  EXPECT(overlaynet_node_config_data_path_port(node, NULL), NUL_PARAM);
  EXPECT(overlaynet_node_config_data_path_port(node, &port), OK);
  CHECK(port == 4789);
  uint32_t family = 0;
  EXPECT(overlaynet_node_config_underlay_family(NULL, &family), NUL_PARAM);
  EXPECT(overlaynet_node_config_underlay_family(node, NULL), NUL_PARAM);
  EXPECT(overlaynet_node_config_underlay_family(node, &family), OK);
  CHECK(family == OVERLAYNET_FAMILY_IPV4);
  overlaynet_firewall_rule rules[8];
  EXPECT(overlaynet_node_config_firewall_rules(node, true, rules, 8, &n), OK);
  CHECK(n == 5 && rules[n - 1].protocol == OVERLAYNET_PROTOCOL_ESP && rules[n - 1].port == 0);
  EXPECT(overlaynet_node_config_firewall_rules(node, false, rules, 1, &n), TOO_SMALL);
  CHECK(n == 4);
  EXPECT(overlaynet_node_config_firewall_rules(node, false, NULL, 0, &n), TOO_SMALL);
  EXPECT(overlaynet_node_config_firewall_rules(NULL, false, rules, 8, &n), NUL_PARAM);
  EXPECT(overlaynet_node_config_firewall_rules(node, false, NULL, 8, &n), NUL_PARAM);
  EXPECT(overlaynet_node_config_firewall_rules(node, false, rules, 8, NULL), NUL_PARAM);
  EXPECT(overlaynet_node_config_firewall_rules(node, false, rules, ABSURD, &n), BAD_LEN);
  EXPECT(overlaynet_node_config_firewall_nftables(NULL, true, buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_node_config_firewall_nftables(node, true, NULL, 0, &n), TOO_SMALL);
  CHECK(n > sizeof buf);
  EXPECT(overlaynet_node_config_firewall_nftables(node, true, buf, sizeof buf, &n), TOO_SMALL);
  overlaynet_node_config_free(node);
  overlaynet_node_config_free(NULL);
}

static void test_cluster(void) {
  overlaynet_address_pools *pools = NULL;
  overlaynet_cluster *cl = NULL;
  EXPECT(overlaynet_address_pools_new(S("10.20.0.0/16"), 24, NULL), NUL_PARAM);
  EXPECT(overlaynet_address_pools_new(NULL, 4, 24, &pools), NUL_PARAM);
  EXPECT(overlaynet_address_pools_new(INVALID_UTF8, 24, &pools), BAD_UTF8);
  EXPECT(overlaynet_address_pools_new((const uint8_t *)"1", ABSURD, 24, &pools), BAD_LEN);
  EXPECT(overlaynet_address_pools_new(S("10.20.0.0/16"), 30, &pools), OVERLAYNET_RESULT_INVALID_INPUT);
  EXPECT(overlaynet_address_pools_new(S("10.20.0.0/16"), UINT32_MAX, &pools), OVERLAYNET_RESULT_INVALID_INPUT);
  EXPECT(overlaynet_address_pools_new(S("fd00::/48"), 24, &pools), OVERLAYNET_RESULT_INVALID_INPUT);
  EXPECT(overlaynet_address_pools_new(S("10.20.0.0/16,nonsense"), 24, &pools), OVERLAYNET_RESULT_INVALID_INPUT);
  CHECK(pools == NULL);
  EXPECT(overlaynet_address_pools_new(S("10.20.0.0/16"), 24, &pools), OK);
  EXPECT(overlaynet_cluster_new(pools, NULL), NUL_PARAM);
  EXPECT(overlaynet_cluster_new(pools, &cl), OK);
  overlaynet_address_pools_free(pools); /* the cluster holds a copy */
  overlaynet_address_pools_free(NULL);

  overlaynet_overlay_builder *b = NULL;
  overlaynet_overlay_network *net = NULL;
  EXPECT(overlaynet_overlay_builder_new(S("front"), &b), OK);
  EXPECT(overlaynet_overlay_builder_set_encryption(b, OVERLAYNET_ENCRYPTION_HARDENED), OK);
  EXPECT(overlaynet_overlay_builder_build(b, &net), OK);
  EXPECT(overlaynet_cluster_create_overlay(NULL, net), NUL_PARAM);
  EXPECT(overlaynet_cluster_create_overlay(cl, NULL), NUL_PARAM);
  EXPECT(overlaynet_cluster_create_overlay(cl, net), OK);
  EXPECT(overlaynet_cluster_create_overlay(cl, net), OVERLAYNET_RESULT_CONFLICT);

  overlaynet_ingress_builder *ib = NULL;
  overlaynet_ingress_network *in = NULL;
  EXPECT(overlaynet_ingress_builder_new(&ib), OK);
  EXPECT(overlaynet_ingress_builder_build(ib, &in), OK);
  EXPECT(overlaynet_cluster_add_ingress_publisher(cl, S("web")), OVERLAYNET_RESULT_REFUSED);
  EXPECT(overlaynet_cluster_create_ingress(NULL, in), NUL_PARAM);
  EXPECT(overlaynet_cluster_create_ingress(cl, NULL), NUL_PARAM);
  EXPECT(overlaynet_cluster_create_ingress(cl, in), OK);
  EXPECT(overlaynet_cluster_create_ingress(cl, in), OVERLAYNET_RESULT_CONFLICT);
  STR_SETTER(overlaynet_cluster_add_ingress_publisher, cl);
  STR_SETTER(overlaynet_cluster_remove_ingress_publisher, cl);
  EXPECT(overlaynet_cluster_add_ingress_publisher(cl, S("web")), OK);
  EXPECT(overlaynet_cluster_remove_network(cl, S("ingress")), OVERLAYNET_RESULT_REFUSED);
  EXPECT(overlaynet_cluster_remove_ingress_publisher(cl, S("web")), OK);
  EXPECT(overlaynet_cluster_remove_ingress_publisher(cl, S("web")), OVERLAYNET_RESULT_NOT_FOUND);

  overlaynet_node_builder *nb = NULL;
  overlaynet_node_config *node = NULL;
  EXPECT(overlaynet_node_builder_new(S("win"), S("192.168.1.30"), &nb), OK);
  EXPECT(overlaynet_node_builder_set_os(nb, OVERLAYNET_NODE_OS_WINDOWS), OK);
  EXPECT(overlaynet_node_builder_build(nb, &node), OK);
  EXPECT(overlaynet_cluster_add_node(NULL, node), NUL_PARAM);
  EXPECT(overlaynet_cluster_add_node(cl, NULL), NUL_PARAM);
  EXPECT(overlaynet_cluster_add_node(cl, node), OVERLAYNET_RESULT_REFUSED);
  STR_SETTER(overlaynet_cluster_remove_node, cl);
  EXPECT(overlaynet_cluster_remove_node(cl, S("win")), OVERLAYNET_RESULT_NOT_FOUND);
  overlaynet_node_config_free(node);
  node = NULL;
  EXPECT(overlaynet_node_builder_set_os(nb, OVERLAYNET_NODE_OS_LINUX), OK);
  EXPECT(overlaynet_node_builder_build(nb, &node), OK);
  EXPECT(overlaynet_cluster_add_node(cl, node), OK);
  EXPECT(overlaynet_cluster_add_node(cl, node), OVERLAYNET_RESULT_CONFLICT);
  EXPECT(overlaynet_cluster_remove_node(cl, S("win")), OK);

  overlaynet_endpoint ep;
  memset(&ep, 0, sizeof ep);
  EXPECT(overlaynet_cluster_allocate_endpoint(NULL, S("front"), &ep), NUL_PARAM);
  EXPECT(overlaynet_cluster_allocate_endpoint(cl, NULL, 5, &ep), NUL_PARAM);
  EXPECT(overlaynet_cluster_allocate_endpoint(cl, INVALID_UTF8, &ep), BAD_UTF8);
  EXPECT(overlaynet_cluster_allocate_endpoint(cl, (const uint8_t *)"front", ABSURD, &ep), BAD_LEN);
  EXPECT(overlaynet_cluster_allocate_endpoint(cl, S("front"), NULL), NUL_PARAM);
  EXPECT(overlaynet_cluster_allocate_endpoint(cl, S("missing"), &ep), OVERLAYNET_RESULT_NOT_FOUND);
  EXPECT(overlaynet_cluster_allocate_endpoint(cl, S("front"), &ep), OK);
  CHECK(ep.address[0] == 10 && ep.address[1] == 20 && ep.prefix_len == 24 && ep.mac[0] == 0x02 && ep.vni == 4096);
  EXPECT(overlaynet_cluster_allocate_endpoint_address(NULL, S("front"), S("10.20.0.9"), &ep), NUL_PARAM);
  EXPECT(overlaynet_cluster_allocate_endpoint_address(cl, NULL, 1, S("10.20.0.9"), &ep), NUL_PARAM);
  EXPECT(overlaynet_cluster_allocate_endpoint_address(cl, S("front"), NULL, 1, &ep), NUL_PARAM);
  EXPECT(overlaynet_cluster_allocate_endpoint_address(cl, S("front"), S("10.20.0.9"), NULL), NUL_PARAM);
  EXPECT(overlaynet_cluster_allocate_endpoint_address(cl, S("front"), INVALID_UTF8, &ep), BAD_UTF8);
  EXPECT(overlaynet_cluster_allocate_endpoint_address(cl, S("front"), S("fd00::9"), &ep), OVERLAYNET_RESULT_INVALID_INPUT);
  EXPECT(overlaynet_cluster_allocate_endpoint_address(cl, S("front"), S("10.99.0.9"), &ep), OVERLAYNET_RESULT_INVALID_INPUT);
  EXPECT(overlaynet_cluster_allocate_endpoint_address(cl, S("nope"), S("10.20.0.9"), &ep), OVERLAYNET_RESULT_NOT_FOUND);
  EXPECT(overlaynet_cluster_allocate_endpoint_address(cl, S("front"), S("10.20.0.9"), &ep), OK);
  EXPECT(overlaynet_cluster_allocate_endpoint_address(cl, S("front"), S("10.20.0.9"), &ep), OVERLAYNET_RESULT_CONFLICT);
  EXPECT(overlaynet_cluster_release_endpoint(NULL, S("front"), S("10.20.0.9")), NUL_PARAM);
  EXPECT(overlaynet_cluster_release_endpoint(cl, NULL, 1, S("10.20.0.9")), NUL_PARAM);
  EXPECT(overlaynet_cluster_release_endpoint(cl, S("front"), NULL, 1), NUL_PARAM);
  EXPECT(overlaynet_cluster_release_endpoint(cl, S("front"), INVALID_UTF8), BAD_UTF8);
  EXPECT(overlaynet_cluster_release_endpoint(cl, S("front"), S("10.20.0.9")), OK);
  EXPECT(overlaynet_cluster_release_endpoint(cl, S("front"), S("10.20.0.9")), OVERLAYNET_RESULT_NOT_FOUND);

  size_t networks = 0;
  EXPECT(overlaynet_cluster_network_count(NULL, &networks), NUL_PARAM);
  EXPECT(overlaynet_cluster_network_count(cl, NULL), NUL_PARAM);
  EXPECT(overlaynet_cluster_network_count(cl, &networks), OK);
  CHECK(networks == 2);
  TEXT_OUT(overlaynet_cluster_network_name_at, cl, 0);
  CHECK(n == 5 && memcmp(buf, "front", 5) == 0);
  EXPECT(overlaynet_cluster_network_name_at(NULL, 0, buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_cluster_network_name_at(cl, 2, buf, sizeof buf, &n), OVERLAYNET_RESULT_INDEX_OUT_OF_RANGE);

  overlaynet_network_state *st = NULL;
  EXPECT(overlaynet_cluster_network(NULL, S("front"), &st), NUL_PARAM);
  EXPECT(overlaynet_cluster_network(cl, NULL, 1, &st), NUL_PARAM);
  EXPECT(overlaynet_cluster_network(cl, INVALID_UTF8, &st), BAD_UTF8);
  EXPECT(overlaynet_cluster_network(cl, S("front"), NULL), NUL_PARAM);
  EXPECT(overlaynet_cluster_network(cl, S("missing"), &st), OVERLAYNET_RESULT_NOT_FOUND);
  CHECK(st == NULL);
  EXPECT(overlaynet_cluster_network(cl, S("front"), &st), OK);
  TEXT_OUT(overlaynet_network_state_name, st);
  TEXT_OUT(overlaynet_network_state_subnet, st, 0);
  TEXT_OUT(overlaynet_network_state_gateway, st, 0);
  EXPECT(overlaynet_network_state_name(NULL, buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_network_state_subnet(NULL, 0, buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_network_state_gateway(NULL, 0, buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_network_state_subnet(st, 1, buf, sizeof buf, &n), OVERLAYNET_RESULT_INDEX_OUT_OF_RANGE);
  EXPECT(overlaynet_network_state_gateway(st, ABSURD, buf, sizeof buf, &n), OVERLAYNET_RESULT_INDEX_OUT_OF_RANGE);
  size_t count = 0;
  uint32_t value = 0;
  EXPECT(overlaynet_network_state_subnet_count(NULL, &count), NUL_PARAM);
  EXPECT(overlaynet_network_state_subnet_count(st, NULL), NUL_PARAM);
  EXPECT(overlaynet_network_state_subnet_count(st, &count), OK);
  CHECK(count == 1);
  EXPECT(overlaynet_network_state_vni(NULL, 0, &value), NUL_PARAM);
  EXPECT(overlaynet_network_state_vni(st, 0, NULL), NUL_PARAM);
  EXPECT(overlaynet_network_state_vni(st, 1, &value), OVERLAYNET_RESULT_INDEX_OUT_OF_RANGE);
  EXPECT(overlaynet_network_state_vni(st, 0, &value), OK);
  CHECK(value == 4096);
  EXPECT(overlaynet_network_state_effective_mtu(NULL, OVERLAYNET_FAMILY_IPV4, &value), NUL_PARAM);
  EXPECT(overlaynet_network_state_effective_mtu(st, OVERLAYNET_FAMILY_IPV4, NULL), NUL_PARAM);
  EXPECT(overlaynet_network_state_effective_mtu(st, 0, &value), BAD_ENUM);
  EXPECT(overlaynet_network_state_effective_mtu(st, OVERLAYNET_FAMILY_IPV6, &value), OK);
  EXPECT(overlaynet_network_state_docker_mtu(NULL, &value), NUL_PARAM);
  EXPECT(overlaynet_network_state_docker_mtu(st, NULL), NUL_PARAM);
  EXPECT(overlaynet_network_state_docker_mtu(st, &value), OK);
  CHECK(value == 1424);
  overlaynet_options *opts = NULL;
  overlaynet_overlay_network *spec = NULL;
  EXPECT(overlaynet_network_state_driver_options(NULL, &opts), NUL_PARAM);
  EXPECT(overlaynet_network_state_driver_options(st, NULL), NUL_PARAM);
  EXPECT(overlaynet_network_state_driver_options(st, &opts), OK);
  EXPECT(overlaynet_network_state_spec(NULL, &spec), NUL_PARAM);
  EXPECT(overlaynet_network_state_spec(st, NULL), NUL_PARAM);
  EXPECT(overlaynet_network_state_spec(st, &spec), OK);

  /* The snapshot outlives the network it was taken from. */
  STR_SETTER(overlaynet_cluster_remove_network, cl);
  EXPECT(overlaynet_cluster_remove_network(cl, S("front")), OK);
  EXPECT(overlaynet_cluster_remove_network(cl, S("front")), OVERLAYNET_RESULT_NOT_FOUND);
  EXPECT(overlaynet_network_state_subnet_count(st, &count), OK);
  CHECK(count == 1);

  overlaynet_overlay_network_free(spec);
  overlaynet_options_free(opts);
  overlaynet_network_state_free(st);
  overlaynet_network_state_free(NULL);
  overlaynet_node_config_free(node);
  overlaynet_node_builder_free(nb);
  overlaynet_ingress_network_free(in);
  overlaynet_ingress_builder_free(ib);
  overlaynet_overlay_network_free(net);
  overlaynet_overlay_builder_free(b);
  overlaynet_cluster_free(cl);
  overlaynet_cluster_free(NULL);

  /* NULL pools means Docker's swarm default. */
  EXPECT(overlaynet_cluster_new(NULL, &cl), OK);
  overlaynet_cluster_free(cl);
}

int main(void) {
  test_library();
  test_options();
  test_mtu_and_vni();
  test_ipam();
  test_overlay();
  test_ingress_and_gwbridge();
  test_node();
  test_cluster();
  overlaynet_last_error_clear();
  printf("misuse: %d checks, %d failures\n", checks, failures);
  return failures == 0 ? 0 : 1;
}

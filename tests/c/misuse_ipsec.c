/*
 * Misuse test for the IPsec part of the overlaynet C ABI (keyrings, key updates, rotation
 * plans, SPIs, ESP SAs, gossip encryption): NULL pointers, invalid UTF-8, absurd lengths,
 * too-small buffers, undefined enum values and free/NULL sequences must each give the
 * documented result code and a last-error message, never a crash or a leak. Run under
 * valgrind by scripts/test.d/20-capi.sh.
 */

#include "check.h"

#define DOCKER OVERLAYNET_ENCRYPTION_DOCKER_COMPATIBLE
#define HARDENED OVERLAYNET_ENCRYPTION_HARDENED

static const uint8_t invalid_utf8[] = {'n', 'e', 't', 0xff, 0xfe};
#define INVALID_UTF8 invalid_utf8, sizeof invalid_utf8

static uint8_t buf[256];
static size_t n;

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

static const char *IPSEC = "networking:ipsec";
static const char *GOSSIP = "networking:gossip";
static uint8_t key_bytes[4][32];

static void fill_keys(overlaynet_swarm_key *keys, const char *subsystem, const uint64_t *tags,
                      size_t key_len) {
  for (size_t i = 0; i < 3; i++) {
    memset(key_bytes[tags[i] % 4], (int)tags[i], sizeof key_bytes[0]);
    keys[i].subsystem = (const uint8_t *)subsystem;
    keys[i].subsystem_len = strlen(subsystem);
    keys[i].key = key_bytes[tags[i] % 4];
    keys[i].key_len = key_len;
    keys[i].lamport_time = tags[i];
  }
}

static overlaynet_keyring *ring_of(const char *subsystem, uint64_t a, uint64_t b, uint64_t c) {
  overlaynet_swarm_key keys[3];
  const uint64_t tags[3] = {a, b, c};
  overlaynet_keyring *ring = NULL;
  fill_keys(keys, subsystem, tags, 16);
  EXPECT(overlaynet_keyring_from_swarm_keys(keys, 3, S(subsystem), &ring), OK);
  return ring;
}

static void test_keyring(void) {
  overlaynet_swarm_key keys[3];
  const uint64_t tags[3] = {1, 2, 3};
  overlaynet_keyring *ring = NULL;
  fill_keys(keys, IPSEC, tags, 16);

  EXPECT(overlaynet_keyring_from_swarm_keys(keys, 3, S(IPSEC), NULL), NUL_PARAM);
  EXPECT(overlaynet_keyring_from_swarm_keys(NULL, 3, S(IPSEC), &ring), NUL_PARAM);
  EXPECT(overlaynet_keyring_from_swarm_keys(keys, ABSURD, S(IPSEC), &ring), BAD_LEN);
  EXPECT(overlaynet_keyring_from_swarm_keys(keys, 3, INVALID_UTF8, &ring), BAD_UTF8);
  EXPECT(overlaynet_keyring_from_swarm_keys(keys, 3, NULL, 4, &ring), NUL_PARAM);
  EXPECT(overlaynet_keyring_from_swarm_keys(keys, 2, S(IPSEC), &ring), BAD_INPUT);
  CHECK(strcmp(last_error(), "incorrect number of keys for subsystem networking:ipsec") == 0);
  EXPECT(overlaynet_keyring_from_swarm_keys(NULL, 0, S(IPSEC), &ring), BAD_INPUT);
  keys[1].key_len = 15;
  EXPECT(overlaynet_keyring_from_swarm_keys(keys, 3, S(IPSEC), &ring), BAD_INPUT);
  CHECK(strcmp(last_error(), "invalid key length 15: must be 16 or 32 bytes") == 0);
  keys[1].key_len = ABSURD;
  EXPECT(overlaynet_keyring_from_swarm_keys(keys, 3, S(IPSEC), &ring), BAD_LEN);
  keys[1].key_len = 16;
  keys[1].key = NULL;
  EXPECT(overlaynet_keyring_from_swarm_keys(keys, 3, S(IPSEC), &ring), NUL_PARAM);
  keys[1].key = key_bytes[2];
  keys[2].subsystem = invalid_utf8;
  keys[2].subsystem_len = sizeof invalid_utf8;
  EXPECT(overlaynet_keyring_from_swarm_keys(keys, 3, S(IPSEC), &ring), BAD_UTF8);
  keys[2].subsystem = (const uint8_t *)"networking:other";
  keys[2].subsystem_len = strlen("networking:other");
  EXPECT(overlaynet_keyring_from_swarm_keys(keys, 3, S(IPSEC), &ring), BAD_INPUT);
  CHECK(strcmp(last_error(), "key received for unrecognized subsystem") == 0);
  CHECK(ring == NULL);
  fill_keys(keys, IPSEC, tags, 16);
  EXPECT(overlaynet_keyring_from_swarm_keys(keys, 3, S(IPSEC), &ring), OK);

  uint64_t got[3] = {0, 0, 0};
  EXPECT(overlaynet_keyring_tags(NULL, got, 3, &n), NUL_PARAM);
  EXPECT(overlaynet_keyring_tags(ring, got, 3, NULL), NUL_PARAM);
  EXPECT(overlaynet_keyring_tags(ring, NULL, 3, &n), NUL_PARAM);
  EXPECT(overlaynet_keyring_tags(ring, got, ABSURD, &n), BAD_LEN);
  EXPECT(overlaynet_keyring_tags(ring, got, 2, &n), TOO_SMALL);
  CHECK(n == 3 && got[0] == 0);
  EXPECT(overlaynet_keyring_tags(ring, got, 3, &n), OK);
  CHECK(n == 3 && got[0] == 2 && got[1] == 1 && got[2] == 3); /* second-oldest transmits */

  TEXT_OUT(overlaynet_keyring_expose_key_at, ring, 0);
  CHECK(n == 16 && buf[0] == 2);
  memset(buf, 0, sizeof buf);
  EXPECT(overlaynet_keyring_expose_key_at(NULL, 0, buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_keyring_expose_key_at(ring, 3, buf, sizeof buf, &n), OUT_OF_RANGE);
  EXPECT(overlaynet_keyring_expose_key_at(ring, ABSURD, buf, sizeof buf, &n), OUT_OF_RANGE);

  /* update_to: the manager rotates {1,2,3} -> {2,3,4}. */
  overlaynet_swarm_key next[3];
  const uint64_t next_tags[3] = {2, 3, 4};
  overlaynet_key_update *update = NULL;
  fill_keys(next, IPSEC, next_tags, 16);
  EXPECT(overlaynet_keyring_update_to(NULL, next, 3, S(IPSEC), &update), NUL_PARAM);
  EXPECT(overlaynet_keyring_update_to(ring, NULL, 3, S(IPSEC), &update), NUL_PARAM);
  EXPECT(overlaynet_keyring_update_to(ring, next, ABSURD, S(IPSEC), &update), BAD_LEN);
  EXPECT(overlaynet_keyring_update_to(ring, next, 3, INVALID_UTF8, &update), BAD_UTF8);
  EXPECT(overlaynet_keyring_update_to(ring, next, 3, S(IPSEC), NULL), NUL_PARAM);
  EXPECT(overlaynet_keyring_update_to(ring, next, 3, S(GOSSIP), &update), BAD_INPUT);
  CHECK(update == NULL);
  EXPECT(overlaynet_keyring_update_to(ring, next, 3, S(IPSEC), &update), OK);

  overlaynet_key_update_summary info;
  memset(&info, 0, sizeof info);
  EXPECT(overlaynet_key_update_info(NULL, &info), NUL_PARAM);
  EXPECT(overlaynet_key_update_info(update, NULL), NUL_PARAM);
  EXPECT(overlaynet_key_update_info(update, &info), OK);
  CHECK(info.has_new && info.new_tag == 4 && info.primary_tag == 3 && info.has_prune &&
        info.prune_tag == 1);

  overlaynet_key_transition *t = NULL;
  EXPECT(overlaynet_keyring_apply(NULL, update, DOCKER, &t), NUL_PARAM);
  EXPECT(overlaynet_keyring_apply(ring, NULL, DOCKER, &t), NUL_PARAM);
  EXPECT(overlaynet_keyring_apply(ring, update, DOCKER, NULL), NUL_PARAM);
  EXPECT(overlaynet_keyring_apply(ring, update, 77, &t), BAD_ENUM);
  EXPECT(overlaynet_keyring_apply(ring, update, OVERLAYNET_ENCRYPTION_OFF, &t), BAD_INPUT);
  CHECK(t == NULL);
  EXPECT(overlaynet_keyring_apply(ring, update, HARDENED, &t), OK);

  overlaynet_key_indices idx;
  EXPECT(overlaynet_key_transition_indices(NULL, &idx), NUL_PARAM);
  EXPECT(overlaynet_key_transition_indices(t, NULL), NUL_PARAM);
  EXPECT(overlaynet_key_transition_indices(t, &idx), OK);
  CHECK(idx.new_index == 3 && idx.primary_index == 2 && idx.prune_index == 1);
  uint64_t during[4];
  EXPECT(overlaynet_key_transition_during_tags(NULL, during, 4, &n), NUL_PARAM);
  EXPECT(overlaynet_key_transition_during_tags(t, during, 4, NULL), NUL_PARAM);
  EXPECT(overlaynet_key_transition_during_tags(t, during, ABSURD, &n), BAD_LEN);
  EXPECT(overlaynet_key_transition_during_tags(t, NULL, 0, &n), TOO_SMALL);
  CHECK(n == 4);
  EXPECT(overlaynet_key_transition_during_tags(t, during, 4, &n), OK);
  CHECK(during[3] == 4);
  overlaynet_keyring *after = NULL;
  EXPECT(overlaynet_key_transition_after(NULL, &after), NUL_PARAM);
  EXPECT(overlaynet_key_transition_after(t, NULL), NUL_PARAM);
  EXPECT(overlaynet_key_transition_after(t, &after), OK);
  EXPECT(overlaynet_keyring_tags(after, got, 3, &n), OK);
  CHECK(got[0] == 3 && got[1] == 2 && got[2] == 4);

  /* Hand-made updates: Docker's updateKeys texts; the hardened rule. */
  overlaynet_key_update *bad = NULL;
  EXPECT(overlaynet_key_update_new(NULL, 16, 9, 9, false, 0, &bad), NUL_PARAM);
  EXPECT(overlaynet_key_update_new(key_bytes[0], ABSURD, 9, 9, false, 0, &bad), BAD_LEN);
  EXPECT(overlaynet_key_update_new(key_bytes[0], 20, 9, 9, false, 0, &bad), BAD_INPUT);
  EXPECT(overlaynet_key_update_new(key_bytes[0], 32, 9, 9, true, 1, NULL), NUL_PARAM);
  CHECK(bad == NULL);
  EXPECT(overlaynet_key_update_new(key_bytes[0], 32, 9, 9, true, 1, &bad), OK);
  overlaynet_key_transition *refused = NULL;
  EXPECT(overlaynet_keyring_apply(ring, bad, HARDENED, &refused), OVERLAYNET_RESULT_REFUSED);
  EXPECT(overlaynet_keyring_apply(ring, bad, DOCKER, &refused), OK);
  overlaynet_key_transition_free(refused);
  overlaynet_key_update_free(bad);
  bad = NULL;
  EXPECT(overlaynet_key_update_new(NULL, 0, 0, 7, true, 1, &bad), OK);
  EXPECT(overlaynet_keyring_apply(ring, bad, DOCKER, &refused), OVERLAYNET_RESULT_NOT_FOUND);
  CHECK(strcmp(last_error(), "cannot find proper key indices while processing key "
                             "update:(newIdx,priIdx,delIdx):(-1, -1, 1)") == 0);
  overlaynet_key_update_free(bad);

  /* Rotation plans for one remote. */
  overlaynet_ipsec_endpoints ep;
  ep.bind = (const uint8_t *)"192.168.1.10";
  ep.bind_len = strlen("192.168.1.10");
  ep.advertise = ep.bind;
  ep.advertise_len = ep.bind_len;
  ep.data_port = 4789;
  overlaynet_xfrm_changes *changes = NULL;
  size_t rx = 0;
  EXPECT(overlaynet_ipsec_rotation_changes(DOCKER, NULL, S("192.168.1.20"), t, &changes, &rx), NUL_PARAM);
  EXPECT(overlaynet_ipsec_rotation_changes(DOCKER, &ep, NULL, 3, t, &changes, &rx), NUL_PARAM);
  EXPECT(overlaynet_ipsec_rotation_changes(DOCKER, &ep, INVALID_UTF8, t, &changes, &rx), BAD_UTF8);
  EXPECT(overlaynet_ipsec_rotation_changes(DOCKER, &ep, S("not-an-ip"), t, &changes, &rx), BAD_INPUT);
  EXPECT(overlaynet_ipsec_rotation_changes(DOCKER, &ep, S("192.168.1.20"), NULL, &changes, &rx), NUL_PARAM);
  EXPECT(overlaynet_ipsec_rotation_changes(DOCKER, &ep, S("192.168.1.20"), t, NULL, &rx), NUL_PARAM);
  EXPECT(overlaynet_ipsec_rotation_changes(DOCKER, &ep, S("192.168.1.20"), t, &changes, NULL), NUL_PARAM);
  EXPECT(overlaynet_ipsec_rotation_changes(5, &ep, S("192.168.1.20"), t, &changes, &rx), BAD_ENUM);
  ep.bind = invalid_utf8;
  ep.bind_len = sizeof invalid_utf8;
  EXPECT(overlaynet_ipsec_rotation_changes(DOCKER, &ep, S("192.168.1.20"), t, &changes, &rx), BAD_UTF8);
  ep.bind = (const uint8_t *)"192.168.1.10";
  ep.bind_len = strlen("192.168.1.10");
  ep.advertise_len = ABSURD;
  EXPECT(overlaynet_ipsec_rotation_changes(DOCKER, &ep, S("192.168.1.20"), t, &changes, &rx), BAD_LEN);
  ep.advertise_len = ep.bind_len;
  CHECK(changes == NULL);
  EXPECT(overlaynet_ipsec_rotation_changes(DOCKER, &ep, S("192.168.1.20"), t, &changes, &rx), OK);
  CHECK(rx == 2);

  size_t count = 0;
  EXPECT(overlaynet_xfrm_changes_count(NULL, &count), NUL_PARAM);
  EXPECT(overlaynet_xfrm_changes_count(changes, NULL), NUL_PARAM);
  EXPECT(overlaynet_xfrm_changes_count(changes, &count), OK);
  CHECK(count == 5);
  overlaynet_xfrm_change c;
  EXPECT(overlaynet_xfrm_changes_get(NULL, 0, &c), NUL_PARAM);
  EXPECT(overlaynet_xfrm_changes_get(changes, 0, NULL), NUL_PARAM);
  EXPECT(overlaynet_xfrm_changes_get(changes, 5, &c), OUT_OF_RANGE);
  EXPECT(overlaynet_xfrm_changes_get(changes, 0, &c), OK);
  CHECK(c.kind == OVERLAYNET_XFRM_CHANGE_KIND_DELETE_STATE && c.src.family == OVERLAYNET_FAMILY_IPV4);
  EXPECT(overlaynet_xfrm_changes_get(changes, 3, &c), OK);
  CHECK(c.kind == OVERLAYNET_XFRM_CHANGE_KIND_UPDATE_POLICY && c.dport == 4789 && c.mark == 0xD0C4E3);
  TEXT_OUT(overlaynet_xfrm_changes_text_at, changes, 2);
  buf[n] = '\0';
  CHECK(strstr((const char *)buf, "0x<redacted> 64") != NULL);
  EXPECT(overlaynet_xfrm_changes_text_at(NULL, 0, buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_xfrm_changes_text_at(changes, ABSURD, buf, sizeof buf, &n), OUT_OF_RANGE);
  overlaynet_xfrm_changes_free(changes);

  changes = NULL;
  EXPECT(overlaynet_ipsec_setup_changes(HARDENED, NULL, S("10.0.0.2"), ring, &changes), NUL_PARAM);
  EXPECT(overlaynet_ipsec_setup_changes(HARDENED, &ep, INVALID_UTF8, ring, &changes), BAD_UTF8);
  EXPECT(overlaynet_ipsec_setup_changes(HARDENED, &ep, S("10.0.0.2"), NULL, &changes), NUL_PARAM);
  EXPECT(overlaynet_ipsec_setup_changes(HARDENED, &ep, S("10.0.0.2"), ring, NULL), NUL_PARAM);
  EXPECT(overlaynet_ipsec_setup_changes(0, &ep, S("10.0.0.2"), ring, &changes), BAD_INPUT);
  EXPECT(overlaynet_ipsec_setup_changes(HARDENED, &ep, S("10.0.0.2"), ring, &changes), OK);
  EXPECT(overlaynet_xfrm_changes_count(changes, &count), OK);
  CHECK(count == 5);
  EXPECT(overlaynet_xfrm_changes_get(changes, 0, &c), OK);
  CHECK(c.kind == OVERLAYNET_XFRM_CHANGE_KIND_ADD_STATE && c.direction == OVERLAYNET_SA_DIRECTION_REVERSE &&
        c.esn && c.icv_bits == 128 && c.replay_window == 1024);
  overlaynet_xfrm_changes_free(changes);
  changes = NULL;
  EXPECT(overlaynet_ipsec_teardown_changes(DOCKER, NULL, S("10.0.0.2"), ring, &changes), NUL_PARAM);
  EXPECT(overlaynet_ipsec_teardown_changes(DOCKER, &ep, S("10.0.0.2"), NULL, &changes), NUL_PARAM);
  EXPECT(overlaynet_ipsec_teardown_changes(DOCKER, &ep, S("10.0.0.2"), ring, NULL), NUL_PARAM);
  EXPECT(overlaynet_ipsec_teardown_changes(9, &ep, S("10.0.0.2"), ring, &changes), BAD_ENUM);
  EXPECT(overlaynet_ipsec_teardown_changes(DOCKER, &ep, S("10.0.0.2"), ring, &changes), OK);
  EXPECT(overlaynet_xfrm_changes_get(changes, 2, &c), OK);
  CHECK(c.kind == OVERLAYNET_XFRM_CHANGE_KIND_DELETE_POLICY);
  overlaynet_xfrm_changes_free(changes);
  overlaynet_xfrm_changes_free(NULL);

  overlaynet_keyring_free(after);
  overlaynet_key_transition_free(t);
  overlaynet_key_transition_free(NULL);
  overlaynet_key_update_free(update);
  overlaynet_key_update_free(NULL);
  overlaynet_keyring_free(ring);
  overlaynet_keyring_free(NULL);
}

static void test_spi(void) {
  uint32_t spi = 0;
  EXPECT(overlaynet_ipsec_build_spi(S("192.168.1.10"), S("192.168.1.20"), 1, NULL), NUL_PARAM);
  EXPECT(overlaynet_ipsec_build_spi(NULL, 3, S("192.168.1.20"), 1, &spi), NUL_PARAM);
  EXPECT(overlaynet_ipsec_build_spi(INVALID_UTF8, S("192.168.1.20"), 1, &spi), BAD_UTF8);
  EXPECT(overlaynet_ipsec_build_spi(S("192.168.1.10"), (const uint8_t *)"x", ABSURD, 1, &spi), BAD_LEN);
  EXPECT(overlaynet_ipsec_build_spi(S("192.168.1.300"), S("192.168.1.20"), 1, &spi), BAD_INPUT);
  CHECK(spi == 0);
  EXPECT(overlaynet_ipsec_build_spi(S("192.168.1.10"), S("192.168.1.20"), 1, &spi), OK);
  CHECK(spi == 0xbf836db8u); /* moby's buildSPI golden vector */
}

static void test_esp(void) {
  const char *a = "192.168.1.10", *b = "192.168.1.20";
  uint32_t spi = 0;
  uint8_t key[16];
  memset(key, 0x42, sizeof key);
  EXPECT(overlaynet_ipsec_build_spi(S(a), S(b), 1, &spi), OK);

  overlaynet_esp_outbound *tx = NULL;
  EXPECT(overlaynet_esp_outbound_new(DOCKER, key, 16, 1, S(a), S(b), spi, NULL), NUL_PARAM);
  EXPECT(overlaynet_esp_outbound_new(DOCKER, NULL, 16, 1, S(a), S(b), spi, &tx), NUL_PARAM);
  EXPECT(overlaynet_esp_outbound_new(DOCKER, key, ABSURD, 1, S(a), S(b), spi, &tx), BAD_LEN);
  EXPECT(overlaynet_esp_outbound_new(DOCKER, key, 12, 1, S(a), S(b), spi, &tx), BAD_INPUT);
  EXPECT(overlaynet_esp_outbound_new(DOCKER, key, 16, 1, INVALID_UTF8, S(b), spi, &tx), BAD_UTF8);
  EXPECT(overlaynet_esp_outbound_new(DOCKER, key, 16, 1, S(a), S("nope"), spi, &tx), BAD_INPUT);
  EXPECT(overlaynet_esp_outbound_new(DOCKER, key, 16, 1, S(a), S(b), 255, &tx), BAD_INPUT);
  EXPECT(overlaynet_esp_outbound_new(4, key, 16, 1, S(a), S(b), spi, &tx), BAD_ENUM);
  CHECK(tx == NULL);
  EXPECT(overlaynet_esp_outbound_new(DOCKER, key, 16, 1, S(a), S(b), spi, &tx), OK);

  overlaynet_esp_inbound *rx = NULL;
  EXPECT(overlaynet_esp_inbound_new(DOCKER, key, 16, 1, S(a), S(b), spi, NULL), NUL_PARAM);
  EXPECT(overlaynet_esp_inbound_new(DOCKER, key, 0, 1, S(a), S(b), spi, &rx), BAD_INPUT);
  EXPECT(overlaynet_esp_inbound_new(DOCKER, key, 16, 1, S(a), NULL, 1, spi, &rx), NUL_PARAM);
  EXPECT(overlaynet_esp_inbound_new(OVERLAYNET_ENCRYPTION_OFF, key, 16, 1, S(a), S(b), spi, &rx), BAD_INPUT);
  CHECK(rx == NULL);
  EXPECT(overlaynet_esp_inbound_new(DOCKER, key, 16, 1, S(a), S(b), spi, &rx), OK);

  size_t sealed = 0;
  EXPECT(overlaynet_esp_sealed_len(5, 8, NULL), NUL_PARAM);
  EXPECT(overlaynet_esp_sealed_len(5, 12, &sealed), BAD_INPUT);
  EXPECT(overlaynet_esp_sealed_len(ABSURD, 8, &sealed), BAD_LEN);
  EXPECT(overlaynet_esp_sealed_len(5, 8, &sealed), OK);
  CHECK(sealed == OVERLAYNET_ESP_HEADROOM + 5 + 1 + 2 + 8);

  uint8_t packet[64];
  memset(packet, 0, sizeof packet);
  memcpy(packet + OVERLAYNET_ESP_HEADROOM, "hello", 5);
  EXPECT(overlaynet_esp_outbound_seal(NULL, packet, sizeof packet, 5, 17, &n), NUL_PARAM);
  EXPECT(overlaynet_esp_outbound_seal(tx, NULL, 64, 5, 17, &n), NUL_PARAM);
  EXPECT(overlaynet_esp_outbound_seal(tx, packet, ABSURD, 5, 17, &n), BAD_LEN);
  EXPECT(overlaynet_esp_outbound_seal(tx, packet, sizeof packet, ABSURD, 17, &n), BAD_LEN);
  EXPECT(overlaynet_esp_outbound_seal(tx, packet, sizeof packet, 5, 17, NULL), NUL_PARAM);
  n = 0;
  EXPECT(overlaynet_esp_outbound_seal(tx, packet, sealed - 1, 5, 17, &n), TOO_SMALL);
  CHECK(n == sealed && packet[0] == 0);
  EXPECT(overlaynet_esp_outbound_seal(tx, NULL, 0, 5, 17, &n), TOO_SMALL);
  overlaynet_esp_outbound_status info;
  EXPECT(overlaynet_esp_outbound_info(NULL, &info), NUL_PARAM);
  EXPECT(overlaynet_esp_outbound_info(tx, NULL), NUL_PARAM);
  EXPECT(overlaynet_esp_outbound_info(tx, &info), OK);
  CHECK(info.last_sequence == 0 && info.spi == spi && info.icv_len == 8);
  EXPECT(overlaynet_esp_outbound_seal(tx, packet, sizeof packet, 5, 17, &n), OK);
  CHECK(n == sealed);
  EXPECT(overlaynet_esp_outbound_info(tx, &info), OK);
  CHECK(info.last_sequence == 1);

  uint8_t copy[64];
  memcpy(copy, packet, sizeof packet);
  overlaynet_esp_opened opened;
  EXPECT(overlaynet_esp_inbound_open(NULL, packet, n, &opened), NUL_PARAM);
  EXPECT(overlaynet_esp_inbound_open(rx, NULL, n, &opened), NUL_PARAM);
  EXPECT(overlaynet_esp_inbound_open(rx, packet, ABSURD, &opened), BAD_LEN);
  EXPECT(overlaynet_esp_inbound_open(rx, packet, n, NULL), NUL_PARAM);
  EXPECT(overlaynet_esp_inbound_open(rx, packet, n, &opened), OK);
  CHECK(opened.verdict == OVERLAYNET_ESP_VERDICT_ACCEPTED && opened.next_header == 17 &&
        opened.inner_len == 5 && memcmp(packet + opened.inner_offset, "hello", 5) == 0);
  copy[n - 1] ^= 0x80;
  EXPECT(overlaynet_esp_inbound_open(rx, copy, n, &opened), OK);
  CHECK(opened.verdict == OVERLAYNET_ESP_VERDICT_BAD_ICV && opened.sequence == 1);
  EXPECT(overlaynet_esp_inbound_open(rx, copy, 4, &opened), OK);
  CHECK(opened.verdict == OVERLAYNET_ESP_VERDICT_TRUNCATED);
  EXPECT(overlaynet_esp_inbound_open(rx, NULL, 0, &opened), OK);
  CHECK(opened.verdict == OVERLAYNET_ESP_VERDICT_TRUNCATED);
  copy[0] ^= 0xff; /* another SPI */
  EXPECT(overlaynet_esp_inbound_open(rx, copy, n, &opened), OK);
  CHECK(opened.verdict == OVERLAYNET_ESP_VERDICT_UNKNOWN_SPI);

  overlaynet_esp_counters counters;
  EXPECT(overlaynet_esp_inbound_counters(NULL, &counters), NUL_PARAM);
  EXPECT(overlaynet_esp_inbound_counters(rx, NULL), NUL_PARAM);
  EXPECT(overlaynet_esp_inbound_counters(rx, &counters), OK);
  CHECK(counters.accepted == 1 && counters.bad_icv == 1 && counters.truncated == 2 &&
        counters.unknown_spi == 1 && counters.replayed == 0);

  overlaynet_esp_outbound_free(tx);
  overlaynet_esp_outbound_free(NULL);
  overlaynet_esp_inbound_free(rx);
  overlaynet_esp_inbound_free(NULL);
}

static void test_gossip(void) {
  overlaynet_keyring *ring = ring_of(GOSSIP, 10, 11, 12);
  overlaynet_keyring *other = ring_of(GOSSIP, 20, 21, 22);
  size_t len = 0;
  EXPECT(overlaynet_gossip_encrypted_len(1, 5, NULL), NUL_PARAM);
  EXPECT(overlaynet_gossip_encrypted_len(2, 5, &len), BAD_ENUM);
  EXPECT(overlaynet_gossip_encrypted_len(1, ABSURD, &len), BAD_LEN);
  EXPECT(overlaynet_gossip_encrypted_len(0, 5, &len), OK);
  CHECK(len == 1 + 12 + 16 + 16);
  EXPECT(overlaynet_gossip_encrypted_len(1, 5, &len), OK);
  CHECK(len == 1 + 12 + 5 + 16);

  TEXT_OUT(overlaynet_gossip_encrypt, ring, 1, S("hello"), NULL, 0);
  EXPECT(overlaynet_gossip_encrypt(NULL, 1, S("hello"), NULL, 0, buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_gossip_encrypt(ring, 3, S("hello"), NULL, 0, buf, sizeof buf, &n), BAD_ENUM);
  EXPECT(overlaynet_gossip_encrypt(ring, 1, NULL, 5, NULL, 0, buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_gossip_encrypt(ring, 1, S("hello"), NULL, 4, buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_gossip_encrypt(ring, 1, (const uint8_t *)"x", ABSURD, NULL, 0, buf, sizeof buf, &n), BAD_LEN);
  EXPECT(overlaynet_gossip_encrypt(ring, 0, S("hello"), S("label"), buf, sizeof buf, &n), OK);
  uint8_t msg[64];
  size_t msg_len = n;
  memcpy(msg, buf, n);

  TEXT_OUT(overlaynet_gossip_decrypt, ring, msg, msg_len, S("label"));
  CHECK(n == 5 && memcmp(buf, "hello", 5) == 0);
  EXPECT(overlaynet_gossip_decrypt(NULL, msg, msg_len, NULL, 0, buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_gossip_decrypt(ring, NULL, msg_len, NULL, 0, buf, sizeof buf, &n), NUL_PARAM);
  EXPECT(overlaynet_gossip_decrypt(ring, msg, ABSURD, NULL, 0, buf, sizeof buf, &n), BAD_LEN);
  EXPECT(overlaynet_gossip_decrypt(ring, msg, msg_len, NULL, 0, buf, sizeof buf, &n), BAD_INPUT);
  CHECK(strcmp(last_error(), "no installed keys could decrypt the message") == 0);
  EXPECT(overlaynet_gossip_decrypt(other, msg, msg_len, S("label"), buf, sizeof buf, &n), BAD_INPUT);
  EXPECT(overlaynet_gossip_decrypt(ring, NULL, 0, NULL, 0, buf, sizeof buf, &n), BAD_INPUT);
  CHECK(strcmp(last_error(), "cannot decrypt empty payload") == 0);
  msg[0] = 7;
  EXPECT(overlaynet_gossip_decrypt(ring, msg, msg_len, NULL, 0, buf, sizeof buf, &n), BAD_INPUT);
  CHECK(strcmp(last_error(), "unsupported encryption version 7") == 0);
  EXPECT(overlaynet_gossip_decrypt(ring, msg, 10, NULL, 0, buf, sizeof buf, &n), BAD_INPUT);

  overlaynet_keyring_free(other);
  overlaynet_keyring_free(ring);
}

int main(void) {
  test_keyring();
  test_spi();
  test_esp();
  test_gossip();
  overlaynet_last_error_clear();
  printf("misuse_ipsec: %d checks, %d failures\n", checks, failures);
  return failures == 0 ? 0 : 1;
}

/*
 * overlaynet quickstart in C: what examples/quickstart.rs does, through the C ABI.
 *
 * Models a swarm's networks without touching the host: a node, the ingress network, an
 * encrypted overlay with two subnets and docker_gwbridge; allocates endpoint addresses,
 * prints each network (subnets, gateways, VNIs, MTU, Docker's option map) and shows three
 * inputs the model refuses.
 *
 * Build and run from the repository root:
 *   make staticlib
 *   cc -std=c99 -Wall -Iinclude examples/c/quickstart.c target/release/liboverlaynet.a \
 *      -lm -ldl -lpthread -o quickstart && ./quickstart
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "overlaynet.h"

#define S(text) (const uint8_t *)(text), strlen(text)

/* Prints the failure and exits: the quickstart expects every call it does not mark as
 * "rejected" to succeed. */
static void check(overlaynet_result rc, const char *what) {
  if (rc == OVERLAYNET_RESULT_OK) return;
  char message[512];
  size_t n = 0;
  if (overlaynet_last_error_message((uint8_t *)message, sizeof message - 1, &n) != OVERLAYNET_RESULT_OK) n = 0;
  message[n] = '\0';
  fprintf(stderr, "%s failed: %s (%s)\n", what, message, overlaynet_result_description(rc));
  exit(1);
}

/* Shows an input the library must refuse, with its code and message. */
static void rejected(overlaynet_result rc, const char *what) {
  char message[512];
  size_t n = 0;
  if (rc == OVERLAYNET_RESULT_OK) {
    fprintf(stderr, "%s was accepted but must be rejected\n", what);
    exit(1);
  }
  check(overlaynet_last_error_message((uint8_t *)message, sizeof message - 1, &n), "last error");
  message[n] = '\0';
  printf("  error (%s, code %u): %s\n", what, (unsigned)rc, message);
}

static void print_options(overlaynet_options *options) {
  size_t count = 0;
  check(overlaynet_options_count(options, &count), "options count");
  for (size_t i = 0; i < count; i++) {
    char key[256], value[256];
    size_t key_n = 0, value_n = 0;
    check(overlaynet_options_key_at(options, i, (uint8_t *)key, sizeof key, &key_n), "option key");
    check(overlaynet_options_value_at(options, i, (uint8_t *)value, sizeof value, &value_n), "option value");
    printf("  option %.*s=\"%.*s\"\n", (int)key_n, key, (int)value_n, value);
  }
}

static const char *encryption_name(uint32_t encryption) {
  switch (encryption) {
    case OVERLAYNET_ENCRYPTION_OFF: return "Off";
    case OVERLAYNET_ENCRYPTION_DOCKER_COMPATIBLE: return "DockerCompatible";
    case OVERLAYNET_ENCRYPTION_HARDENED: return "Hardened";
    default: return "?";
  }
}

static void print_network(overlaynet_cluster *cluster, size_t index) {
  overlaynet_network_state *state = NULL;
  overlaynet_overlay_network *spec = NULL;
  overlaynet_options *options = NULL;
  char name[256];
  size_t name_n = 0, subnets = 0;
  bool ingress = false;
  uint32_t encryption = 0, mtu4 = 0, mtu6 = 0, docker_mtu = 0;
  check(overlaynet_cluster_network_name_at(cluster, index, (uint8_t *)name, sizeof name, &name_n), "network name");
  check(overlaynet_cluster_network(cluster, (const uint8_t *)name, name_n, &state), "cluster network");
  check(overlaynet_network_state_spec(state, &spec), "network spec");
  check(overlaynet_overlay_network_encryption(spec, &encryption), "encryption");
  check(overlaynet_overlay_network_ingress(spec, &ingress), "ingress");
  printf("\nnetwork %.*s%s (overlay, encryption %s)\n", (int)name_n, name, ingress ? " [ingress]" : "",
         encryption_name(encryption));
  check(overlaynet_network_state_subnet_count(state, &subnets), "subnet count");
  for (size_t i = 0; i < subnets; i++) {
    char subnet[64], gateway[64];
    size_t subnet_n = 0, gateway_n = 0;
    uint32_t vni = 0;
    check(overlaynet_network_state_subnet(state, i, (uint8_t *)subnet, sizeof subnet, &subnet_n), "subnet");
    check(overlaynet_network_state_gateway(state, i, (uint8_t *)gateway, sizeof gateway, &gateway_n), "gateway");
    check(overlaynet_network_state_vni(state, i, &vni), "vni");
    printf("  subnet %.*s gateway %.*s vni %u\n", (int)subnet_n, subnet, (int)gateway_n, gateway, vni);
  }
  check(overlaynet_network_state_effective_mtu(state, OVERLAYNET_FAMILY_IPV4, &mtu4), "mtu ipv4");
  check(overlaynet_network_state_effective_mtu(state, OVERLAYNET_FAMILY_IPV6, &mtu6), "mtu ipv6");
  check(overlaynet_network_state_docker_mtu(state, &docker_mtu), "docker mtu");
  printf("  mtu: %u over IPv4, %u over IPv6 (Docker would use %u)\n", mtu4, mtu6, docker_mtu);
  check(overlaynet_network_state_driver_options(state, &options), "driver options");
  print_options(options);
  overlaynet_options_free(options);
  overlaynet_overlay_network_free(spec);
  overlaynet_network_state_free(state);
}

static void print_endpoint(const char *label, const overlaynet_endpoint *ep) {
  printf("%s: %u.%u.%u.%u/%u mac %02x:%02x:%02x:%02x:%02x:%02x vni %u\n", label, ep->address[0],
         ep->address[1], ep->address[2], ep->address[3], ep->prefix_len, ep->mac[0], ep->mac[1],
         ep->mac[2], ep->mac[3], ep->mac[4], ep->mac[5], ep->vni);
}

int main(void) {
  char text[256], text2[256];
  size_t n = 0, n2 = 0;
  printf("overlaynet %s (C ABI)\n", overlaynet_version());

  overlaynet_cluster *cluster = NULL;
  check(overlaynet_cluster_new(NULL, &cluster), "cluster new");

  /* The manager node: VXLAN runs over its data-path address. */
  overlaynet_node_builder *node_builder = NULL;
  overlaynet_node_config *manager = NULL;
  check(overlaynet_node_builder_new(S("manager-1"), S("192.168.1.10"), &node_builder), "node builder");
  check(overlaynet_node_builder_set_data_path_addr(node_builder, S("192.168.2.10")), "data path addr");
  check(overlaynet_node_builder_build(node_builder, &manager), "build node");
  check(overlaynet_node_config_vtep(manager, (uint8_t *)text, sizeof text, &n), "vtep");
  check(overlaynet_node_config_bind_addr(manager, (uint8_t *)text2, sizeof text2, &n2), "bind addr");
  printf("node manager-1: vtep %.*s, bind %.*s\n", (int)n, text, (int)n2, text2);
  check(overlaynet_cluster_add_node(cluster, manager), "add node");

  /* The ingress network, its subnet from the default pool. */
  overlaynet_ingress_builder *ingress_builder = NULL;
  overlaynet_ingress_network *ingress = NULL;
  check(overlaynet_ingress_builder_new(&ingress_builder), "ingress builder");
  check(overlaynet_ingress_builder_build(ingress_builder, &ingress), "build ingress");
  check(overlaynet_cluster_create_ingress(cluster, ingress), "create ingress");

  /* An encrypted (hardened profile) attachable overlay with two subnets. */
  overlaynet_overlay_builder *builder = NULL;
  overlaynet_overlay_network *app = NULL;
  check(overlaynet_overlay_builder_new(S("app"), &builder), "overlay builder");
  check(overlaynet_overlay_builder_add_subnet(builder, S("10.10.1.0/24")), "add subnet");
  check(overlaynet_overlay_builder_add_subnet(builder, S("10.10.2.0/24")), "add subnet");
  check(overlaynet_overlay_builder_set_encryption(builder, OVERLAYNET_ENCRYPTION_HARDENED), "encryption");
  check(overlaynet_overlay_builder_set_attachable(builder, true), "attachable");
  check(overlaynet_overlay_builder_add_label(builder, S("com.example.team"), S("web")), "label");
  check(overlaynet_overlay_builder_build(builder, &app), "build app");
  check(overlaynet_cluster_create_overlay(cluster, app), "create app");

  overlaynet_endpoint ep;
  for (int i = 0; i < 3; i++) {
    check(overlaynet_cluster_allocate_endpoint(cluster, S("app"), &ep), "allocate endpoint");
    print_endpoint("endpoint on app", &ep);
  }
  check(overlaynet_cluster_allocate_endpoint(cluster, S("ingress"), &ep), "allocate ingress endpoint");
  print_endpoint("ingress-endpoint", &ep);

  size_t networks = 0;
  check(overlaynet_cluster_network_count(cluster, &networks), "network count");
  for (size_t i = 0; i < networks; i++) print_network(cluster, i);

  /* docker_gwbridge: local to each node, Docker's defaults. */
  overlaynet_gwbridge_builder *gw_builder = NULL;
  overlaynet_gwbridge_network *gwbridge = NULL;
  overlaynet_options *gw_options = NULL;
  check(overlaynet_gwbridge_builder_new(&gw_builder), "gwbridge builder");
  check(overlaynet_gwbridge_builder_set_subnet(gw_builder, S("172.31.0.0/16")), "gwbridge subnet");
  check(overlaynet_gwbridge_builder_build(gw_builder, &gwbridge), "build gwbridge");
  check(overlaynet_gwbridge_network_subnet(gwbridge, (uint8_t *)text, sizeof text, &n), "gwbridge subnet");
  check(overlaynet_gwbridge_network_gateway(gwbridge, (uint8_t *)text2, sizeof text2, &n2), "gwbridge gateway");
  printf("\nnetwork docker_gwbridge (bridge, local to each node)\n  subnet %.*s gateway %.*s\n", (int)n, text,
         (int)n2, text2);
  check(overlaynet_gwbridge_network_driver_options(gwbridge, &gw_options), "gwbridge options");
  print_options(gw_options);

  printf("\nrefused inputs:\n");
  overlaynet_overlay_builder *bad = NULL;
  overlaynet_overlay_network *bad_network = NULL;
  overlaynet_ipam_config *outside = NULL;
  check(overlaynet_overlay_builder_new(S("bad-gw"), &bad), "builder");
  check(overlaynet_ipam_config_new(S("10.20.0.0/24"), &outside), "ipam config");
  check(overlaynet_ipam_config_set_gateway(outside, S("10.21.0.1")), "gateway");
  check(overlaynet_overlay_builder_add_ipam(bad, outside), "add ipam");
  rejected(overlaynet_overlay_builder_build(bad, &bad_network), "build");
  overlaynet_ipam_config_free(outside);
  overlaynet_overlay_builder_free(bad);

  check(overlaynet_overlay_builder_new(S("clash"), &bad), "builder");
  check(overlaynet_overlay_builder_add_subnet(bad, S("10.10.2.128/25")), "subnet");
  check(overlaynet_overlay_builder_build(bad, &bad_network), "build clash");
  rejected(overlaynet_cluster_create_overlay(cluster, bad_network), "create");
  overlaynet_overlay_network_free(bad_network);
  overlaynet_overlay_builder_free(bad);

  overlaynet_node_builder *win_builder = NULL;
  overlaynet_node_config *windows = NULL;
  check(overlaynet_node_builder_new(S("win-1"), S("192.168.1.20"), &win_builder), "node builder");
  check(overlaynet_node_builder_set_os(win_builder, OVERLAYNET_NODE_OS_WINDOWS), "os");
  check(overlaynet_node_builder_build(win_builder, &windows), "build node");
  rejected(overlaynet_cluster_add_node(cluster, windows), "add node");

  overlaynet_options_free(gw_options);
  overlaynet_node_config_free(windows);
  overlaynet_node_builder_free(win_builder);
  overlaynet_node_config_free(manager);
  overlaynet_node_builder_free(node_builder);
  overlaynet_gwbridge_network_free(gwbridge);
  overlaynet_gwbridge_builder_free(gw_builder);
  overlaynet_ingress_network_free(ingress);
  overlaynet_ingress_builder_free(ingress_builder);
  overlaynet_overlay_network_free(app);
  overlaynet_overlay_builder_free(builder);
  overlaynet_cluster_free(cluster);
  return 0;
}

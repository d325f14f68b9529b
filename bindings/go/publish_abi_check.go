package overlaynet

/*
#include "overlaynet.h"
*/
import "C"

// Compile-time checks that the publish constants equal the header's values (see
// abi_check.go for the idiom).
const (
	_ = uint(SCTP - C.OVERLAYNET_PROTOCOL_SCTP)
	_ = uint(C.OVERLAYNET_PROTOCOL_SCTP - SCTP)
	_ = uint(PublishIngress - C.OVERLAYNET_PUBLISH_MODE_INGRESS)
	_ = uint(C.OVERLAYNET_PUBLISH_MODE_INGRESS - PublishIngress)
	_ = uint(PublishHost - C.OVERLAYNET_PUBLISH_MODE_HOST)
	_ = uint(C.OVERLAYNET_PUBLISH_MODE_HOST - PublishHost)
	_ = uint(EndpointVIP - C.OVERLAYNET_ENDPOINT_MODE_VIP)
	_ = uint(C.OVERLAYNET_ENDPOINT_MODE_VIP - EndpointVIP)
	_ = uint(EndpointDNSRR - C.OVERLAYNET_ENDPOINT_MODE_DNSRR)
	_ = uint(C.OVERLAYNET_ENDPOINT_MODE_DNSRR - EndpointDNSRR)
	_ = uint(DynamicPortStart - C.OVERLAYNET_DYNAMIC_PORT_START)
	_ = uint(C.OVERLAYNET_DYNAMIC_PORT_START - DynamicPortStart)
	_ = uint(DynamicPortEnd - C.OVERLAYNET_DYNAMIC_PORT_END)
	_ = uint(C.OVERLAYNET_DYNAMIC_PORT_END - DynamicPortEnd)
)

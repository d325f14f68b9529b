module overlaynet.dev/go/overlaynet

go 1.24

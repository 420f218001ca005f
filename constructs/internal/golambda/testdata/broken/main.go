// Command broken does not compile, on purpose: golambda's tests build it by
// import path to check how a compile error is reported. The go tool skips
// testdata directories in ./... patterns, so go build ./... and go vet ./...
// never see it.
package main

func main() {
	var n int = "not a number"
	_ = n
}

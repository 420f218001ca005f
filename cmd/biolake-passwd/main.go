// Command biolake-passwd hashes a partner's password for biolake's AWS
// Transfer Family identity provider (internal/idp). It reads the password
// from the terminal without echo (twice, to confirm), or the first line of
// standard input when that is not a terminal, and prints the hash: argon2id
// by default ("$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>"), bcrypt
// (cost 10) with -bcrypt. The password itself is never printed or stored.
//
// An operator then puts the hash in the partner's secret, which the
// transfer construct created empty (or which the partner's
// PasswordSecretArn names):
//
//	go run ./cmd/biolake-passwd > acme.hash
//	aws secretsmanager put-secret-value --secret-id "$ACME_SECRET_ARN" --secret-string file://acme.hash
//	rm acme.hash
//
// (file:// keeps the "$" of the hash away from the shell; the identity
// provider ignores the trailing newline.) The new hash takes effect within
// the identity provider's cache time (60 s by default).
//
// Passwords must be 12 to 1024 bytes long (72 with -bcrypt, which ignores
// anything after byte 72).
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/biolake/biolake/internal/idp"
)

// MinPassword is the shortest password accepted.
const MinPassword = 12

// terminal is what the command needs of a terminal; tests replace it.
type terminal interface {
	IsTerminal() bool
	ReadPassword() ([]byte, error)
}

type stdinTerminal struct{}

func (stdinTerminal) IsTerminal() bool { return term.IsTerminal(int(os.Stdin.Fd())) }

func (stdinTerminal) ReadPassword() ([]byte, error) { return term.ReadPassword(int(os.Stdin.Fd())) }

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, stdinTerminal{}))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, tty terminal) int {
	fs := flag.NewFlagSet("biolake-passwd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	useBcrypt := fs.Bool("bcrypt", false, "print a bcrypt hash (cost 10) instead of argon2id")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: biolake-passwd [-bcrypt] < password  (or type it at the prompt)")
		fmt.Fprintln(stderr, "Prints the hash to put in the partner's Secrets Manager secret.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	alg := idp.Argon2id
	if *useBcrypt {
		alg = idp.Bcrypt
	}
	pw, err := readPassword(stdin, stderr, tty)
	if err == nil {
		err = checkPassword(pw, alg)
	}
	if err != nil {
		fmt.Fprintln(stderr, "biolake-passwd:", err)
		return 1
	}
	h, err := idp.HashPassword(pw, alg)
	clear(pw)
	if err != nil {
		fmt.Fprintln(stderr, "biolake-passwd:", err)
		return 1
	}
	fmt.Fprintln(stdout, h)
	return 0
}

// readPassword reads twice from a terminal, without echo, or one line from
// a pipe.
func readPassword(stdin io.Reader, stderr io.Writer, tty terminal) ([]byte, error) {
	if tty != nil && tty.IsTerminal() {
		fmt.Fprint(stderr, "Partner password: ")
		a, err := tty.ReadPassword()
		fmt.Fprintln(stderr)
		if err != nil {
			return nil, err
		}
		fmt.Fprint(stderr, "Again: ")
		b, err := tty.ReadPassword()
		fmt.Fprintln(stderr)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(a, b) {
			return nil, errors.New("the two passwords differ")
		}
		clear(b)
		return a, nil
	}
	line, err := bufio.NewReaderSize(stdin, idp.MaxPasswordBytes+2).ReadSlice('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("the password is longer than %d bytes", idp.MaxPasswordBytes)
		}
		return nil, err
	}
	line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
	return append([]byte(nil), line...), nil
}

func checkPassword(pw []byte, alg idp.Algorithm) error {
	max := idp.MaxPasswordBytes
	if alg == idp.Bcrypt {
		max = 72
	}
	switch {
	case len(pw) < MinPassword:
		return fmt.Errorf("the password has %d bytes; use at least %d", len(pw), MinPassword)
	case len(pw) > max:
		return fmt.Errorf("the password has %d bytes; %s takes at most %d", len(pw), alg, max)
	case bytes.ContainsAny(pw, "\x00\r\n"):
		return errors.New("the password contains a NUL or line break")
	}
	return nil
}

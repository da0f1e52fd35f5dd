// Command step-ca is a test build of the Step-CA server for Phoenix's end-to-end
// tests. Debian packages the server's library sources
// (golang-github-smallstep-certificates-dev) but not its main package, so this
// file supplies one: it runs the library's start command, nothing more. Built
// by scripts/build-step-ca in GOPATH mode, offline.
package main

import (
	"fmt"
	"os"

	"github.com/smallstep/certificates/commands"
	"github.com/urfave/cli"
	"go.step.sm/cli-utils/step"
)

// version is set at link time (-X main.version=...) to the Debian package
// version the binary was built from, so the cache key and --version agree.
var version = "unknown"

func main() {
	step.Set("Smallstep CA (Phoenix test build)", version, "N/A")

	app := cli.NewApp()
	app.Name = "step-ca"
	app.HelpName = "step-ca"
	app.Usage = "online certificate authority (test build for Phoenix)"
	app.Version = version
	app.UsageText = commands.AppCommand.UsageText
	app.Flags = commands.AppCommand.Flags
	app.Action = commands.AppCommand.Action

	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

package pipelines

import (
	"encoding/json"
	"fmt"
	"regexp"
)

var exactVersion = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)

// CLIVersion returns the exact aws-cdk version package.json pins (its
// devDependencies), the CDK CLI the self-mutation step installs.
func CLIVersion(packageJSON []byte) (string, error) {
	var p struct {
		DevDependencies map[string]string `json:"devDependencies"`
	}
	if err := json.Unmarshal(packageJSON, &p); err != nil {
		return "", fmt.Errorf("package.json: %w", err)
	}
	v := p.DevDependencies["aws-cdk"]
	if !exactVersion.MatchString(v) {
		return "", fmt.Errorf("package.json: devDependencies.aws-cdk is %q; the pipeline needs an exact version such as 2.1148.1", v)
	}
	return v, nil
}

package assembly

import (
	"encoding/json"
	"fmt"
	"strings"
)

// StateMachineDefinitions returns the Amazon States Language definition of
// every AWS::StepFunctions::StateMachine of the stack, by logical id, with
// CloudFormation references replaced by placeholders of the same shape: a
// pseudo parameter by an example value (aws, us-east-1, 123456789012), a Ref
// by "ref-<id>", an Fn::GetAtt by an ARN naming the resource. The result is
// the JSON a validator such as asl-validator can check; it fails on a
// definition that is neither a string nor an Fn::Join of strings and
// references, or that is not JSON once rendered.
func (st *Stack) StateMachineDefinitions() (map[string]string, error) {
	out := map[string]string{}
	for id, r := range st.Resources("AWS::StepFunctions::StateMachine") {
		props, _ := r["Properties"].(map[string]any)
		def, err := RenderDefinition(props["DefinitionString"])
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", st.Name, id, err)
		}
		if !json.Valid([]byte(def)) {
			return nil, fmt.Errorf("%s %s: the rendered definition is not JSON: %s", st.Name, id, def)
		}
		out[id] = def
	}
	return out, nil
}

// RenderDefinition renders one DefinitionString (a string, or an Fn::Join
// of strings and references) as StateMachineDefinitions does.
func RenderDefinition(v any) (string, error) {
	switch d := v.(type) {
	case string:
		return d, nil
	case map[string]any:
		join, ok := d["Fn::Join"].([]any)
		if !ok || len(join) != 2 || join[0] != "" {
			return "", fmt.Errorf("DefinitionString is not an Fn::Join with \"\": %v", d)
		}
		parts, _ := join[1].([]any)
		var b strings.Builder
		for _, part := range parts {
			switch p := part.(type) {
			case string:
				b.WriteString(p)
			case map[string]any:
				b.WriteString(placeholder(p))
			default:
				return "", fmt.Errorf("DefinitionString part %v is neither a string nor a reference", part)
			}
		}
		return b.String(), nil
	}
	return "", fmt.Errorf("DefinitionString is %T, want a string or an Fn::Join", v)
}

// placeholder stands in for one reference.
func placeholder(tok map[string]any) string {
	if ref, ok := tok["Ref"].(string); ok {
		switch ref {
		case "AWS::Partition":
			return "aws"
		case "AWS::Region":
			return "us-east-1"
		case "AWS::AccountId":
			return "123456789012"
		case "AWS::URLSuffix":
			return "amazonaws.com"
		}
		return "ref-" + ref
	}
	if ga, ok := tok["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
		// An ARN keeps the validator's ARN checks meaningful.
		return fmt.Sprintf("arn:aws:lambda:us-east-1:123456789012:function:%v", ga[0])
	}
	if imp, ok := tok["Fn::ImportValue"]; ok {
		return fmt.Sprintf("import-%v", imp)
	}
	return "placeholder"
}

package devicecfg

import (
	"regexp"
)

// webhookID matches the secret part of a webhook URL, after "/api/webhook/".
var webhookID = regexp.MustCompile(`(/api/webhook/)([^/?#\s"'<>]{0,4})([^\s"'<>]*)`)

// RedactURL cuts every webhook id in s to its first 4 characters and "…", so that s
// can be logged or shown: the id is the only secret of a webhook.
func RedactURL(s string) string {
	return webhookID.ReplaceAllStringFunc(s, func(m string) string {
		parts := webhookID.FindStringSubmatch(m)
		if parts[3] == "" {
			return m
		}
		return parts[1] + parts[2] + "…"
	})
}

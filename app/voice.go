package app

// VoiceScript is what a call is told and asked: the call step's keypad
// menu and the answers to Twilio's voice webhook. The voice provider's
// markup (TwiML) is written by its package (twilio.Markup), so there is
// one TwiML writer and one XML escaper.
type VoiceScript struct {
	Say string // said first
	// Gather listens for one key or a spoken answer after saying Prompt,
	// posted to Action ("" : to the webhook's own URL).
	Gather bool
	Prompt string
	Action string
	// Dial, when not gathering, is the number the call is connected to
	// after Say.
	Dial string
}

// VoiceMarkup writes a VoiceScript as the document the voice provider
// answers with (twilio.Markup writes TwiML).
type VoiceMarkup interface {
	Script(VoiceScript) string
}

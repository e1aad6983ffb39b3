package agents

import (
	"crypto/sha1"
	"encoding/base64"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/gofiber/fiber/v2"

	"orengen/app"
)

// The WebSocket side of a call uses gobwas/ws (already in the build with
// chromedp) for framing on the connection fasthttp hands over after the
// upgrade: fasthttp has no WebSocket of its own.

// maxRelayFrame bounds one carrier message (ConversationRelay's are a
// few hundred bytes).
const maxRelayFrame = 64 << 10

// wsGUID is RFC 6455's key suffix.
const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// isUpgrade reports whether the request asks for a WebSocket.
func isUpgrade(c *fiber.Ctx) bool {
	return strings.EqualFold(c.Get(fiber.HeaderUpgrade), "websocket") &&
		strings.Contains(strings.ToLower(c.Get(fiber.HeaderConnection)), "upgrade") &&
		c.Get("Sec-WebSocket-Version") == "13" && len(c.Get("Sec-WebSocket-Key")) >= 16
}

// upgrade answers 101 and runs fn on the connection once fasthttp hands
// it over.
func upgrade(c *fiber.Ctx, fn func(conn *wsConn)) error {
	if c.Method() != fiber.MethodGet || !isUpgrade(c) {
		return app.Errorf(app.EINVALID, "This address takes a WebSocket.")
	}
	sum := sha1.Sum([]byte(c.Get("Sec-WebSocket-Key") + wsGUID))
	c.Status(fiber.StatusSwitchingProtocols)
	c.Set(fiber.HeaderUpgrade, "websocket")
	c.Set(fiber.HeaderConnection, "Upgrade")
	c.Set("Sec-WebSocket-Accept", base64.StdEncoding.EncodeToString(sum[:]))
	c.Response().Header.Del("Content-Security-Policy")
	c.Context().Hijack(func(nc net.Conn) {
		_ = nc.SetDeadline(time.Time{})
		conn := &wsConn{nc: nc}
		fn(conn)
		conn.close()
	})
	return nil
}

// wsConn is a server-side WebSocket: one reader, writers serialised
// (the reader answers pings and closes too). fasthttp releases the
// connection when the upgrade's handler returns, so close waits for a
// read in flight and nothing touches the connection afterwards.
type wsConn struct {
	nc      net.Conn
	wmu     sync.Mutex // writes, closed
	closed  bool
	reading sync.WaitGroup
	rd      *wsutil.Reader
}

type lockedWriter struct{ c *wsConn }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.c.wmu.Lock()
	defer w.c.wmu.Unlock()
	if w.c.closed {
		return 0, net.ErrClosed
	}
	return w.c.nc.Write(p)
}

// ReadMessage returns the next text or binary message, answering
// control frames on the way.
func (c *wsConn) ReadMessage() ([]byte, error) {
	c.wmu.Lock()
	if c.closed {
		c.wmu.Unlock()
		return nil, net.ErrClosed
	}
	c.reading.Add(1)
	c.wmu.Unlock()
	defer c.reading.Done()
	ctl := wsutil.ControlFrameHandler(lockedWriter{c}, ws.StateServerSide)
	if c.rd == nil {
		c.rd = &wsutil.Reader{Source: c.nc, State: ws.StateServerSide, CheckUTF8: true, MaxFrameSize: maxRelayFrame, OnIntermediate: ctl}
	}
	for {
		hdr, err := c.rd.NextFrame()
		if err != nil {
			return nil, err
		}
		if hdr.OpCode.IsControl() {
			if err := ctl(hdr, c.rd); err != nil {
				return nil, err
			}
			continue
		}
		b, err := io.ReadAll(io.LimitReader(c.rd, maxRelayFrame+1))
		if err != nil {
			return nil, err
		}
		if len(b) > maxRelayFrame {
			return nil, io.ErrShortBuffer
		}
		return b, nil
	}
}

// WriteMessage sends a text message.
func (c *wsConn) WriteMessage(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return wsutil.WriteServerMessage(c.nc, ws.OpText, b)
}

func (c *wsConn) close() {
	c.wmu.Lock()
	if !c.closed {
		c.closed = true
		_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
		_ = ws.WriteFrame(c.nc, ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusNormalClosure, "")))
	}
	c.wmu.Unlock()
	_ = c.nc.SetReadDeadline(time.Now()) // unblocks a read in flight
	c.reading.Wait()
}

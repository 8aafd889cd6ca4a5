#include "http/response_reader.h"

namespace tidegate::http {

ResponseReader::State ResponseReader::update(std::string_view received, bool closed) {
  if (state_ != State::kIncomplete) return state_;
  if (!have_head_) {
    const State s = readHead(received, closed);
    if (!have_head_) return s;
  }
  return readBody(received, closed);
}

ResponseReader::State ResponseReader::readHead(std::string_view received, bool closed) {
  for (;;) {
    ResponseHead head;
    const std::string_view rest = received.substr(head_start_);
    const ParseResult r = parseResponseHead(rest, limits_, Method::kGet, head);
    if (r.status == ParseStatus::kError) return fail(r.error);
    if (r.status == ParseStatus::kIncomplete) {
      if (!closed) return State::kIncomplete;
      return fail(rest.empty() ? "closed without a response" : "closed inside the response head");
    }
    if (head.status == 101) return fail("unexpected 101 Switching Protocols");
    if (head.status < 200) {  // 100 Continue, 103 Early Hints: the real head follows
      head_start_ += r.consumed;
      continue;
    }
    // The head's views point into `received`: take what is needed now.
    for (const Header& h : head.headers)
      if (equalsLower(h.name, "content-encoding") && !equalsLower(h.value, "identity"))
        return fail("the body has a Content-Encoding");
    status_ = head.status;
    framing_ = head.framing;
    content_length_ = head.content_length;
    if (framing_ == BodyFraming::kContentLength && content_length_ > max_body_)
      return fail("the body is larger than the limit");
    body_start_ = head_start_ + r.consumed;
    have_head_ = true;
    return State::kIncomplete;
  }
}

ResponseReader::State ResponseReader::readBody(std::string_view received, bool closed) {
  const std::string_view body = received.substr(body_start_);
  switch (framing_) {
    case BodyFraming::kNone:
      return state_ = State::kComplete;
    case BodyFraming::kContentLength:
      if (body.size() >= content_length_) {
        body_.assign(body.substr(0, content_length_));
        return state_ = State::kComplete;
      }
      return closed ? fail("closed inside the body") : State::kIncomplete;
    case BodyFraming::kUntilClose:
      if (body.size() > max_body_) return fail("the body is larger than the limit");
      if (!closed) return State::kIncomplete;
      body_.assign(body);
      return state_ = State::kComplete;
    case BodyFraming::kChunked:
      for (;;) {
        const ChunkedDecoder::Step step = chunked_.next(body.substr(decoded_));
        decoded_ += step.consumed;
        switch (step.kind) {
          case ChunkedDecoder::Kind::kData:
            if (body_.size() + step.bytes.size() > max_body_)
              return fail("the body is larger than the limit");
            body_.append(step.bytes);
            break;
          case ChunkedDecoder::Kind::kTrailer:
            break;
          case ChunkedDecoder::Kind::kDone:
            return state_ = State::kComplete;
          case ChunkedDecoder::Kind::kIncomplete:
            return closed ? fail("closed inside the chunked body") : State::kIncomplete;
          case ChunkedDecoder::Kind::kError:
            return fail(step.error);
        }
      }
  }
  return fail("unknown body framing");
}

}  // namespace tidegate::http

#pragma once
// Scans over the runs of a head: request-targets and field values 16 bytes at a time with SSE2
// (always present on x86-64), tokens with one table load per byte, unrolled. Each returns the
// first byte in [p, end) outside its class, or `end`. Internal to src/http/.

#include "http/char_class.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tidegate::http {

// Field value bytes: VCHAR, SP, HTAB, obs-text; stops at CR, LF, NUL, other CTLs and DEL.
inline const char* scanFieldValue(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i k1f = _mm_set1_epi8(0x1f);
  const __m128i kDel = _mm_set1_epi8(0x7f);
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Unsigned v <= 0x1f, via min, since SSE2 has no unsigned compare; obs-text stays clear.
    const __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(v, k1f), v);
    const int mask = _mm_movemask_epi8(_mm_or_si128(ctl, _mm_cmpeq_epi8(v, kDel)));
    if (mask == 0) {
      p += 16;
      continue;
    }
    p += __builtin_ctz(static_cast<unsigned>(mask));
    if (*p != '\t') return p;  // HTAB is the one control byte a value may hold
    ++p;
  }
#endif
  while (p < end && chars::isFieldValue(*p))
    ++p;
  return p;
}

// request-target bytes: 0x21-0x7E except '#'.
inline const char* scanTarget(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i k20 = _mm_set1_epi8(0x20);
  const __m128i k7f = _mm_set1_epi8(0x7f);
  const __m128i kHash = _mm_set1_epi8('#');
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(v, k20), v);   // v <= 0x20
    const __m128i high = _mm_cmpeq_epi8(_mm_max_epu8(v, k7f), v);  // v >= 0x7f
    const __m128i bad = _mm_or_si128(_mm_or_si128(low, high), _mm_cmpeq_epi8(v, kHash));
    const int mask = _mm_movemask_epi8(bad);
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  while (p < end && chars::isTarget(*p))
    ++p;
  return p;
}

// tchar bytes (field names, methods). Names are short and tchar is no byte range, so a table
// beats SIMD here; unrolling drops three of every four bounds checks.
inline const char* scanToken(const char* p, const char* end) {
  while (end - p >= 4) {
    if (!chars::isTchar(p[0])) return p;
    if (!chars::isTchar(p[1])) return p + 1;
    if (!chars::isTchar(p[2])) return p + 2;
    if (!chars::isTchar(p[3])) return p + 3;
    p += 4;
  }
  while (p < end && chars::isTchar(*p))
    ++p;
  return p;
}

}  // namespace tidegate::http

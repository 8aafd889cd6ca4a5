#include "config/units.h"

#include <gtest/gtest.h>

namespace tidegate::config {
namespace {

int64_t durationOk(std::string_view text) {
  Result<int64_t> r = parseDuration(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message());
  return r.ok() ? r.value() : -1;
}

std::string durationError(std::string_view text) {
  Result<int64_t> r = parseDuration(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.error().message();
}

uint64_t sizeOk(std::string_view text) {
  Result<uint64_t> r = parseSize(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message());
  return r.ok() ? r.value() : 0;
}

std::string sizeError(std::string_view text) {
  Result<uint64_t> r = parseSize(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.error().message();
}

Rate rateOk(std::string_view text) {
  Result<Rate> r = parseRate(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message());
  return r.ok() ? r.value() : Rate{};
}

std::string rateError(std::string_view text) {
  Result<Rate> r = parseRate(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.error().message();
}

TEST(DurationTest, EachUnit) {
  EXPECT_EQ(durationOk("250ms"), 250);
  EXPECT_EQ(durationOk("2s"), 2000);
  EXPECT_EQ(durationOk("1m"), 60000);
  EXPECT_EQ(durationOk("1h"), 3600000);
  EXPECT_EQ(durationOk("0s"), 0);
}

TEST(DurationTest, Fractions) {
  EXPECT_EQ(durationOk("1.5s"), 1500);
  EXPECT_EQ(durationOk("0.25s"), 250);
  EXPECT_EQ(durationOk("1.5m"), 90000);
  EXPECT_EQ(durationOk("2.000ms"), 2);
  EXPECT_EQ(durationOk("0.001s"), 1);
}

TEST(DurationTest, UnitIsRequired) {
  EXPECT_EQ(durationError("5"),
            "invalid duration '5': a unit is required (ms, s, m, h), e.g. \"5s\"");
  EXPECT_NE(durationError("30").find("unit is required"), std::string::npos);
}

TEST(DurationTest, RejectsMalformed) {
  EXPECT_NE(durationError("").find("expected a number"), std::string::npos);
  EXPECT_NE(durationError("s").find("expected a number"), std::string::npos);
  EXPECT_NE(durationError("-1s").find("expected a number"), std::string::npos);
  EXPECT_NE(durationError("+1s").find("expected a number"), std::string::npos);
  EXPECT_NE(durationError(".5s").find("expected a number"), std::string::npos);
  EXPECT_NE(durationError("1.s").find("expected a number"), std::string::npos);
  EXPECT_NE(durationError("1.2.3s").find("unknown unit"), std::string::npos);
  EXPECT_EQ(durationError("3d"), "invalid duration '3d': unknown unit 'd' (use ms, s, m, h)");
  EXPECT_NE(durationError("1 s").find("unknown unit ' s'"), std::string::npos);
  EXPECT_NE(durationError("1S").find("unknown unit 'S'"), std::string::npos);
  EXPECT_NE(durationError("1sec").find("unknown unit"), std::string::npos);
}

TEST(DurationTest, RejectsSubMillisecondAndOverflow) {
  EXPECT_NE(durationError("0.5ms").find("not a whole number of milliseconds"), std::string::npos);
  EXPECT_NE(durationError("1.0001s").find("not a whole number"), std::string::npos);
  EXPECT_NE(durationError("99999999999999999999s").find("expected a number"), std::string::npos);
  EXPECT_NE(durationError("9999999999999999h").find("too large"), std::string::npos);
}

TEST(SizeTest, BytesAndUnits) {
  EXPECT_EQ(sizeOk("0"), 0u);
  EXPECT_EQ(sizeOk("512"), 512u);
  EXPECT_EQ(sizeOk("512b"), 512u);
  EXPECT_EQ(sizeOk("16k"), 16u * 1024);
  EXPECT_EQ(sizeOk("16kb"), 16u * 1024);
  EXPECT_EQ(sizeOk("1m"), 1024u * 1024);
  EXPECT_EQ(sizeOk("1mb"), 1024u * 1024);
  EXPECT_EQ(sizeOk("1g"), 1024ull * 1024 * 1024);
  EXPECT_EQ(sizeOk("1gb"), 1024ull * 1024 * 1024);
  EXPECT_EQ(sizeOk("1.5k"), 1536u);
}

TEST(SizeTest, CaseInsensitive) {
  EXPECT_EQ(sizeOk("16K"), 16u * 1024);
  EXPECT_EQ(sizeOk("16KB"), 16u * 1024);
  EXPECT_EQ(sizeOk("16kB"), 16u * 1024);
  EXPECT_EQ(sizeOk("10M"), 10u * 1024 * 1024);
  EXPECT_EQ(sizeOk("2G"), 2ull * 1024 * 1024 * 1024);
  EXPECT_EQ(sizeOk("7B"), 7u);
}

TEST(SizeTest, RejectsMalformed) {
  EXPECT_NE(sizeError("").find("expected a number"), std::string::npos);
  EXPECT_NE(sizeError("k").find("expected a number"), std::string::npos);
  EXPECT_NE(sizeError("-1k").find("expected a number"), std::string::npos);
  EXPECT_EQ(sizeError("1t"),
            "invalid size '1t': unknown unit 't' (use k, m, g, optionally followed by b or ib: "
            "64m, 64MiB)");
  EXPECT_NE(sizeError("1kk").find("unknown unit 'kk'"), std::string::npos);
  EXPECT_NE(sizeError("1 k").find("unknown unit"), std::string::npos);
  EXPECT_NE(sizeError("1.5").find("not a whole number of bytes"), std::string::npos);
  EXPECT_NE(sizeError("1.0001k").find("not a whole number of bytes"), std::string::npos);
  EXPECT_NE(sizeError("99999999999999g").find("too large"), std::string::npos);
}

TEST(RateTest, Units) {
  EXPECT_EQ(rateOk("100/s"), (Rate{100, 1000}));
  EXPECT_EQ(rateOk("6000/m"), (Rate{6000, 60000}));
  EXPECT_EQ(rateOk("10/h"), (Rate{10, 3600000}));
  EXPECT_EQ(rateOk("3/ms"), (Rate{3, 1}));
}

TEST(RateTest, PeriodAsDuration) {
  EXPECT_EQ(rateOk("5/10s"), (Rate{5, 10000}));
  EXPECT_EQ(rateOk("1/1.5s"), (Rate{1, 1500}));
  EXPECT_EQ(rateOk("50/250ms"), (Rate{50, 250}));
}

TEST(RateTest, RejectsMalformed) {
  EXPECT_NE(rateError("100").find("expected <count>/<period>"), std::string::npos);
  EXPECT_NE(rateError("/s").find("must be a whole number"), std::string::npos);
  EXPECT_NE(rateError("1.5/s").find("must be a whole number"), std::string::npos);
  EXPECT_NE(rateError("x/s").find("must be a whole number"), std::string::npos);
  EXPECT_EQ(rateError("0/s"), "invalid rate '0/s': the count must be at least 1");
  EXPECT_NE(rateError("100/").find("the period ''"), std::string::npos);
  EXPECT_NE(rateError("100/d").find("the period 'd'"), std::string::npos);
  EXPECT_NE(rateError("100/10").find("the period '10'"), std::string::npos);
  EXPECT_NE(rateError("100/0s").find("longer than 0"), std::string::npos);
  EXPECT_NE(rateError("100/s/s").find("the period 's/s'"), std::string::npos);
}

}  // namespace
}  // namespace tidegate::config

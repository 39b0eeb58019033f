#include "core/masking.hpp"

#include <gtest/gtest.h>

namespace callgate {
namespace {

TEST(MaskPhone, KeepsPrefixAndLastThreeDigits) {
  EXPECT_EQ(MaskPhone("+4915112345678"), "+49151****678");
  EXPECT_EQ(MaskPhone("004915112345678"), "004915****678");
  EXPECT_EQ(MaskPhone("+4930"), "+49****");
  EXPECT_EQ(MaskPhone("12"), "12****");
  EXPECT_EQ(MaskPhone(""), "****");
}

// Landlines and national forms are shorter than a German mobile number in E.164: they keep
// less of their prefix, so that at least five digits stay hidden (10^5 numbers to try), also
// when the platform sent the number with spaces or other separators.
TEST(MaskPhone, HidesAtLeastFiveDigitsOfEveryNumber) {
  EXPECT_EQ(MaskPhone("+493083793369"), "+4930****369");
  EXPECT_EQ(MaskPhone("+49301234567"), "+493****567");
  EXPECT_EQ(MaskPhone("+4970711234"), "+49****234");
  EXPECT_EQ(MaskPhone("015112345678"), "0151****678");
  EXPECT_EQ(MaskPhone("0301234567"), "03****567");
  EXPECT_EQ(MaskPhone("030 1234567"), "03****567");
  EXPECT_EQ(MaskPhone("(030) 123-45.67"), "03****567");
  // A tab and a no-break space (the literal is split so that its hex escape ends there).
  EXPECT_EQ(MaskPhone("tel:\t030\xC2\xA0"
                      "1234567"),
            "03****567");
  for (std::string_view number :
       {"+4915112345678", "+493083793369", "+49301234567", "+4970711234", "015112345678",
        "0301234567", "030 1234567", "004915112345678", "4366412345678"}) {
    std::size_t digits = 0, shown = 0;
    for (char c : number) digits += c >= '0' && c <= '9';
    for (char c : MaskPhone(number)) shown += c >= '0' && c <= '9';
    EXPECT_GE(digits - shown, 5u) << number << " → " << MaskPhone(number);
  }
}

// The earlier mask stays reproducible for looking up audit entries written with it; it kept six
// characters as given and the last three, so shorter numbers showed all but one to four digits.
TEST(MaskPhone, TheMaskBefore6December2026IsReproducedAsItWas) {
  EXPECT_EQ(MaskPhoneBefore6December2026("+4915112345678"), "+49151****678");
  EXPECT_EQ(MaskPhoneBefore6December2026("+493083793369"), "+49308****369");
  EXPECT_EQ(MaskPhoneBefore6December2026("015112345678"), "015112****678");
  EXPECT_EQ(MaskPhoneBefore6December2026("+4930"), "+49****");
  EXPECT_NE(MaskPhoneBefore6December2026("+493083793369"), MaskPhone("+493083793369"));
}

TEST(MaskEmail, KeepsTheFirstLetterAndTheDomain) {
  EXPECT_EQ(MaskEmail("otto@example.org"), "o***@example.org");
  EXPECT_EQ(MaskEmail("not-an-address"), "***");
  EXPECT_EQ(MaskEmail("@example.org"), "***");
}

TEST(MaskPersonalData, MasksPhoneNumbersInEveryWrittenForm) {
  EXPECT_EQ(MaskPersonalData("caller +4915112345678 rang"), "caller +49151****678 rang");
  EXPECT_EQ(MaskPersonalData("(+49 151 1234 5678)"), "(+49151****678)");
  EXPECT_EQ(MaskPersonalData("0151/12345678 oder 0049-151-12345678"),
            "0151****678 oder 004915****678");
  EXPECT_EQ(MaskPersonalData(R"({"from_number":"+4915112345678"})"),
            R"({"from_number":"+49151****678"})");
}

// How people and platforms write numbers beyond the plain forms: parentheses around the area
// code, a spaced slash, E.164 digits without '+' (Germany, Austria, Switzerland).
TEST(MaskPersonalData, MasksNumbersWithParenthesesSpacedSeparatorsAndWithoutPlus) {
  EXPECT_EQ(MaskPersonalData("Tel. +49 (151) 12345678!"), "Tel. +49151****678!");
  EXPECT_EQ(MaskPersonalData("(0151) 1234 5678"), "(0151****678");
  EXPECT_EQ(MaskPersonalData("ruf 0151 / 1234 5678 an"), "ruf 0151****678 an");
  EXPECT_EQ(MaskPersonalData(R"({"phone":"4915112345678"})"), R"({"phone":"49151****678"})");
  EXPECT_EQ(MaskPersonalData("4366412345678"), "43664****678");
  // Fewer digits, or four separators in a row, are not taken for a number.
  EXPECT_EQ(MaskPersonalData("491234567"), "491234567");
  EXPECT_EQ(MaskPersonalData("0151 -  / 12345678"), "0151 -  / 12345678");
}

TEST(MaskPersonalData, MasksEmailAddresses) {
  EXPECT_EQ(MaskPersonalData("attendee erika.m@example.org refused"),
            "attendee e***@example.org refused");
  EXPECT_EQ(MaskPersonalData("schreiben Sie an otto@example.org."),
            "schreiben Sie an o***@example.org.");
  EXPECT_EQ(MaskPersonalData("a@b"), "a@b");  // no dotted domain: not an address
  // A user in a (redacted) database URL is no e-mail address.
  EXPECT_EQ(MaskPersonalData("postgresql://callgate@127.0.0.1:5432/callgate"),
            "postgresql://callgate@127.0.0.1:5432/callgate");
}

TEST(MaskPersonalData, LeavesOtherTextAlone) {
  for (std::string_view text :
       {"2026-12-02T20:25:22.837Z", "id 1714608475945", "call_a1b2c3d4", "cost 0.125",
        "abc0151123456789", "status 503, 12 ms", "UNIQUE constraint failed: calls.id",
        "am 01.12.2026 um 09:30", "(12) items", "port 4317", "took 4100 ms (3 retries)",
        "ids 41, 42, 43", "ports 4317 4318 9090", "0 - 100 - 200 - 300", "43 664 1234567",
        "0 100 200 300 400"}) {
    EXPECT_EQ(MaskPersonalData(text), text);
  }
}

}  // namespace
}  // namespace callgate

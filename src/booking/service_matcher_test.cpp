#include "booking/service_matcher.hpp"

#include <gtest/gtest.h>

namespace callgate::booking {
namespace {

std::vector<tenancy::Service> Services() {
  tenancy::Service a;
  a.id = tenancy::ServiceId(1);
  a.name = "Erstberatung";
  a.synonyms = {"Beratung", "Erstgespräch"};
  a.is_default = true;
  tenancy::Service b;
  b.id = tenancy::ServiceId(2);
  b.name = "Kontrolltermin";
  b.synonyms = {"Kontrolle", "Nachsorge"};
  tenancy::Service c;
  c.id = tenancy::ServiceId(3);
  c.name = "Ausführliche Untersuchung";
  c.synonyms = {"Check-up"};
  return {a, b, c};
}

std::int64_t Match(std::string_view wanted) {
  auto r = MatchService(Services(), wanted);
  return r ? r->id.value : -1;
}

TEST(MatchService, ByIdNameSynonymAndCloseSpelling) {
  EXPECT_EQ(Match("2"), 2);
  EXPECT_EQ(Match("Kontrolltermin"), 2);
  EXPECT_EQ(Match("kontrolltermin"), 2);
  EXPECT_EQ(Match("Nachsorge"), 2);
  EXPECT_EQ(Match("Erstgespraech"), 1);
  EXPECT_EQ(Match("Erstgespräch"), 1);
  EXPECT_EQ(Match("Kontroltermin"), 2);  // one letter missing
  EXPECT_EQ(Match("Ausfuehrliche Untersuchung"), 3);
  EXPECT_EQ(Match("checkup"), 3);
  EXPECT_EQ(Match("Untersuchung"), 3);  // part of the name
  EXPECT_EQ(Match(""), 1);              // default
}

TEST(MatchService, AnExactNameWinsOverAnEarlierCloseOne) {
  tenancy::Service longer;
  longer.id = tenancy::ServiceId(7);
  longer.name = "Beratungen";  // contains the wanted word: distance 1
  tenancy::Service exact;
  exact.id = tenancy::ServiceId(8);
  exact.name = "Zweitberatung";
  exact.synonyms = {"Beratung"};
  tenancy::Service also_exact;
  also_exact.id = tenancy::ServiceId(9);
  also_exact.name = "Beratung";
  auto r = MatchService({longer, exact, also_exact}, "beratung");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->id.value, 8);  // the first exact name or synonym
}

TEST(MatchService, RejectsWhatIsNotOffered) {
  EXPECT_EQ(Match("Haarschnitt"), -1);
  EXPECT_EQ(Match("99"), -1);
  EXPECT_FALSE(MatchService({}, "Erstberatung").has_value());
}

TEST(NormalizeWord, FoldsUmlautsAndPunctuation) {
  EXPECT_EQ(NormalizeWord("Erst-Beratung!"), "erstberatung");
  EXPECT_EQ(NormalizeWord("Größe Übung"), "groesseuebung");
}

}  // namespace
}  // namespace callgate::booking

"""Test-pool life events about family, friends and community (disjoint from the training events)."""

from __future__ import annotations

from rlver.profiles.builtin._types import LifeEvent, make_event
from rlver.profiles.schema import HiddenNeed as N

__all__ = ["TEST_PEOPLE_EVENTS"]


def _e(key: str, **kwargs) -> LifeEvent:  # type: ignore[no-untyped-def]
    return make_event(key, pool="test", **kwargs)


TEST_PEOPLE_EVENTS: tuple[LifeEvent, ...] = (
    _e(
        "son-moved-back",
        topic="my son moving back home and not lifting a finger",
        gist="my grown-up son moved back home after {his} break-up and hasn't lifted a finger in four months",
        vague="a full house again",
        story="Four months ago {name}'s son, Lachlan, twenty-six, moved back home after {his} relationship "
        "ended. {He} said it would be 'a few weeks'. {He} works part-time, sleeps until noon on days off, "
        "pays nothing towards the bills and leaves dishes on the stairs. When {name} raised it, Lachlan said "
        "{sub} was 'kicking {him} while {he} is down'.",
        feelings="{Sub} feels taken for granted in {pos} own home, and guilty for resenting a son who is "
        "hurting.",
        conflict="{Sub} wants to support Lachlan through a bad time without becoming {his} free hotel.",
        tried="{Sub} put a chore list on the fridge, which lasted a week, and suggested a small rent, which "
        "ended in a slammed door.",
        now="{Sub} tiptoes round Lachlan's moods and eats dinner in front of the television.",
        angles={
            N.ANALYSIS: "{name} needs to weigh kindness against firmness, and what each would do for Lachlan "
            "in the long run.",
            N.ADVICE: "{name} wants concrete ways to agree rent, chores and a timeline that would actually "
            "stick.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand what is really going on with Lachlan behind the "
            "sleeping and the silence.",
            N.VALIDATION: "{name} is sure asking for a small rent is fair and wants to hear that {sub} is "
            "not kicking Lachlan while {he} is down.",
        },
        requires="parent grown_children",
        excludes="daughters_only",
        min_age=48,
        max_age=62,
    ),
    _e(
        "mother-remarrying",
        topic="Mum marrying a man {she} met eight months ago",
        gist="my mum is marrying a man {she} met eight months ago and expects us all to be thrilled",
        vague="Mum's news",
        story="Three years after {name}'s father died, {pos} mother, Rosalind, met Hugh at a dance class. "
        "Eight months later they are engaged, the wedding is in four months, and Rosalind is selling the "
        "family house to buy a bungalow by the sea with Hugh. {name} found out about the house from a "
        "cousin's post. Hugh is polite, calls {name} 'champ', and has already put {his} golf clubs in "
        "{name}'s old bedroom.",
        feelings="{Sub} feels displaced and disloyal, and guilty for not being happier for Rosalind.",
        conflict="{Sub} wants Rosalind to be happy, but it is all happening fast, the house is going, and "
        "nobody asked how {sub} feels.",
        tried="{Sub} had one careful conversation with Rosalind, who cried and said 'I thought you of all "
        "people would understand'.",
        now="{Sub} has not replied to the save-the-date.",
        angles={
            N.UNDERSTAND_OTHERS: "{name} wants to understand why Rosalind is moving so fast, and what Hugh "
            "means to {her}.",
            N.EMPATHY: "{name} needs someone to understand that this is grief for {pos} father and the "
            "family home as much as anything.",
            N.SELF_GROWTH: "{name} wants to understand why {sub} feels so threatened and what {sub} needs to "
            "make peace with it.",
            N.ANALYSIS: "{name} needs to think through the wedding, the house and Hugh without losing {pos} "
            "mother.",
        },
        min_age=19,
        max_age=55,
        excludes="lives_with_parents",
    ),
    _e(
        "wedding-row",
        topic="the row with Noor at Amara's wedding",
        gist="I had a row about politics with an old friend at a wedding and now {she}'s telling everyone I "
        "ruined it",
        vague="a wedding that went sideways",
        story="Three weekends ago, at their friend Amara's wedding, {name} was seated next to an old "
        "friend, Noor, at the evening do. Noor called people on benefits 'scroungers'. {name}, "
        "whose sister has lived on disability benefits for years, answered sharply, and it became a shouting "
        "match by the bar that the bride's mother had to break up. Noor has since told mutual friends that "
        "{name} 'made a scene at Amara's wedding'.",
        feelings="{Sub} feels justified and mortified at the same time.",
        conflict="{Sub} stands by what {sub} said but not where {sub} said it, and Amara has gone quiet.",
        tried="{Sub} sent Amara an apology for the timing; Amara replied 'it's fine' with no kiss.",
        now="{Sub} is avoiding the wedding photos and the group chat.",
        angles={
            N.VALIDATION: "{name} is sure {sub} was right to defend {pos} sister and wants to hear that "
            "answering back was fair.",
            N.SELF_GROWTH: "{name} wants to understand why {sub} lost {pos} temper and how to stand up for "
            "things without a scene.",
            N.ANALYSIS: "{name} needs to separate what {sub} said from where and how {sub} said it, and what "
            "{sub} owes Amara and Noor.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand why Noor thinks as {she} does and why {she} is "
            "spreading the story.",
        },
        min_age=24,
    ),
    _e(
        "windermere-swim",
        topic="swimming the length of Windermere for charity",
        gist="I swam the whole length of Windermere on Saturday for the hospice, and it barely registered "
        "with anyone",
        vague="a swim I did",
        story="A year ago {name} could barely swim two lengths. After the hospice cared for {pos} aunt, "
        "Winnie, {sub} signed up for a charity swim of Windermere, eleven miles. {Sub} trained at six every "
        "morning in the local pool and in a cold reservoir at weekends. On Saturday {sub} finished in seven "
        "hours forty, shaking, and raised two thousand one hundred. The family group chat gave it a "
        "thumbs-up and moved on to someone's new kitchen.",
        feelings="{Sub} feels proud, sore and oddly lonely.",
        conflict="{Sub} does not want to brag, but it was the hardest thing {sub} has ever done and it "
        "passed almost unnoticed.",
        tried="{Sub} posted the finish photo once and thanked the sponsors one by one.",
        now="{Sub} keeps looking at the medal and the tracker map.",
        angles={
            N.PRAISE: "{name} wants someone to recognise the year of six a.m. training, the cold reservoir, "
            "eleven miles and two thousand raised.",
            N.EMPATHY: "{name} needs someone to understand what the swim meant after Winnie's death, beyond "
            "the distance.",
            N.VENTING: "{name} needs to grumble about the thumbs-up and the new kitchen without being told "
            "people are busy.",
        },
        min_age=20,
        max_age=62,
    ),
    _e(
        "partner-affair",
        topic="finding out {partner} has been seeing someone else",
        gist="I found messages on {partner}'s phone; {p_sub}'s been seeing someone from work for months",
        vague="things at home",
        story="Three weeks ago {name} picked up {partner}'s phone to check a recipe and saw a message from a "
        "colleague called Sasha: 'last night was perfect x'. {partner} admitted to a four-month affair, said "
        "it was over and begged {name} to stay. They have built a whole life together. {name}'s best friend "
        "says 'leave'; {pos} mother says every marriage has a rough patch.",
        feelings="{Sub} feels gutted and humiliated, and keeps seeing the message.",
        conflict="{Sub} does not know whether {sub} can trust {partner} again, or whether leaving would be "
        "braver or just angrier.",
        tried="{Sub} has asked {partner} to sleep in the spare room and has reread the messages more than "
        "once.",
        now="{Sub} goes through the motions and cannot eat properly.",
        angles={
            N.EMPATHY: "{name} needs someone to feel the betrayal and the humiliation, without being told "
            "what to do.",
            N.VENTING: "{name} needs to let out the anger about Sasha and four months of lies.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand why {partner} did it, and what {p_sub} was "
            "looking for.",
            N.VALIDATION: "{name} is sure {sub} did nothing to cause this and wants to hear it.",
            N.ANALYSIS: "{name} needs to weigh staying and rebuilding against leaving, honestly and slowly.",
        },
        requires="partnered",
        min_age=28,
        max_age=55,
    ),
    _e(
        "neighbour-care-accused",
        topic="looking after Mrs Abernethy next door",
        gist="I've looked after my elderly neighbour for a year and {her} son just hinted I'm after {her} "
        "money",
        vague="a neighbour situation",
        story="For a year {name} has checked on {pos} ninety-one-year-old neighbour, Mrs Abernethy, every "
        "day: shopping, prescriptions, lifts to the hospital, cups of tea. Last month {she} had a fall; "
        "{name} found {her} and waited with {her} for the ambulance. On Sunday Mrs Abernethy's son, visiting "
        "from abroad for the first time in two years, asked {name} on the doorstep whether {his} mother had "
        "'changed {her} will recently'.",
        feelings="{Sub} feels insulted and shaken, and wonders whether to stop helping.",
        conflict="{Sub} cares about Mrs Abernethy, but the son's question makes every kindness look "
        "suspicious.",
        tried="{Sub} told the son exactly what {sub} does and has kept a note of every errand since.",
        now="{Sub} still goes round every day, but feels watched.",
        angles={
            N.PRAISE: "{name} wants someone to recognise a year of daily care, the hospital lifts and the "
            "night of the fall.",
            N.VENTING: "{name} needs to let out the anger about the son's question without being told {he} "
            "was only worried.",
            N.VALIDATION: "{name} is sure {sub} has done nothing but help and wants to hear that the "
            "accusation was unfair.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand why the son reacted with suspicion rather than "
            "thanks.",
        },
        excludes="student",
        min_age=25,
    ),
    _e(
        "dropped-from-choir",
        topic="being dropped from the choir's winter concert",
        gist="the choir dropped me from the concert after eight years, and the new director won't say why",
        vague="a choir thing",
        story="{name} has sung in {pos} community choir for eight years. Last month a new director, Mr "
        "Castellano, re-auditioned everyone for the winter concert, and {name} was told {sub} would 'sit "
        "this one out'. Two newer members were given the solo {sub} had sung for three winters. When {name} "
        "asked why, Mr Castellano said it was 'about the overall blend'. Several members now avoid {obj} at "
        "rehearsals.",
        feelings="{Sub} feels humiliated and bereft; choir was the best part of {pos} week.",
        conflict="{Sub} wants to keep singing, but going to rehearsals to watch feels unbearable.",
        tried="{Sub} asked for a private meeting; Mr Castellano offered fifteen minutes next month.",
        now="{Sub} has missed the last two rehearsals.",
        angles={
            N.UNDERSTAND_OTHERS: "{name} wants to understand what 'blend' really means and why other members "
            "have gone quiet.",
            N.SELF_GROWTH: "{name} wants to look honestly at {pos} singing and at how {sub} handled the "
            "audition.",
            N.VENTING: "{name} needs to let out the hurt about the solo and 'sit this one out'.",
            N.VALIDATION: "{name} is sure eight years of loyalty deserved an honest answer and wants to hear "
            "that being upset is fair.",
        },
        min_age=18,
    ),
    _e(
        "allotment-award",
        topic="the allotment committee row after my plot won",
        gist="my allotment won best plot and now the committee says I've broken the rules",
        vague="allotment politics",
        story="Three years ago {name} took on an overgrown allotment plot and has spent weekends since "
        "clearing it, building raised beds from old pallets and sowing a wildflower strip for the bees. Last "
        "month it won the council's best-plot award. Within a week the committee chair, Mr Whitlock, wrote "
        "that the pallets 'breach the tenancy rules' and must go. Two plot-holders told {name} the chair's "
        "own plot came second.",
        feelings="{Sub} feels proud and ambushed, and petty for being so angry.",
        conflict="{Sub} wants to keep the beds, but fighting the committee could cost {obj} the plot.",
        tried="{Sub} read the tenancy rules twice; the word 'pallet' does not appear.",
        now="{Sub} still goes to the plot daily but avoids the shed where the committee meets.",
        angles={
            N.PRAISE: "{name} wants someone to recognise three years of weekends, the raised beds and the "
            "wildflower strip that won.",
            N.VENTING: "{name} needs to rant about Mr Whitlock and the letter without being told it's only "
            "an allotment.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand why Mr Whitlock is doing this and why nobody on "
            "the committee objects.",
            N.VALIDATION: "{name} is sure the beds break no rule and wants to hear that {sub} is in the "
            "right.",
        },
        excludes="student",
        min_age=28,
    ),
    _e(
        "ex-at-wedding",
        topic="my ex's new partner at our daughter's wedding",
        gist="our daughter wants my ex's new partner at the top table at {her} wedding",
        vague="wedding planning",
        story="{name}'s daughter, Saoirse, is getting married in three months. {name} and Saoirse's other "
        "parent, Bryn, divorced six years ago, badly. Last week Saoirse said that Bryn's partner, Tess, whom "
        "Bryn began seeing before the divorce, would sit at the top table and give a reading. {name} has "
        "paid for half the wedding.",
        feelings="{Sub} feels humiliated and sidelined at the one event {sub} most wanted to enjoy.",
        conflict="{Sub} wants Saoirse to have a happy day, but sitting near the person {sub} blames for the "
        "divorce feels impossible.",
        tried="{Sub} asked Saoirse to reconsider; Saoirse cried and said {name} was 'making it about "
        "{refl}'.",
        now="{Sub} has not confirmed {pos} own seat.",
        angles={
            N.VALIDATION: "{name} is sure {pos} objection is reasonable and wants to hear that {sub} is not "
            "making it about {refl}.",
            N.EMPATHY: "{name} needs someone to understand the old hurt that this reopens.",
            N.ANALYSIS: "{name} needs to weigh {pos} feelings against Saoirse's wishes and find a dignified "
            "way through.",
            N.VENTING: "{name} needs to let it all out about Bryn and Tess before facing Saoirse again.",
        },
        requires="parent grown_children divorced",
        excludes="sons_only",
        min_age=45,
    ),
    _e(
        "friend-cancer",
        topic="not knowing how to be there for Bronwen",
        gist="my best friend has cancer and I keep saying the wrong thing",
        vague="a friend who's ill",
        story="Five weeks ago {name}'s closest friend, Bronwen, was diagnosed with breast cancer, and "
        "chemotherapy started last week. {name} has sent flowers, meals and daily messages, but on Saturday, "
        "when Bronwen talked about losing {her} hair, {name} said 'at least it grows back', and Bronwen went "
        "quiet. Since then {her} replies have been short.",
        feelings="{Sub} feels helpless and clumsy, and terrified of losing Bronwen.",
        conflict="{Sub} wants to be there properly but is afraid of smothering Bronwen or saying the wrong "
        "thing again.",
        tried="{Sub} read a charity leaflet on supporting a friend and apologised by text; Bronwen replied "
        "'it's fine x'.",
        now="{Sub} hovers over the phone and then does not call.",
        angles={
            N.ADVICE: "{name} wants practical ways to support Bronwen that actually help, and to repair "
            "Saturday.",
            N.EMPATHY: "{name} needs someone to understand the fear of losing {pos} friend and the guilt of "
            "saying the wrong thing.",
            N.SELF_GROWTH: "{name} wants to understand why {sub} reaches for silver linings when things are "
            "frightening.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand what Bronwen might be feeling and why {she} has "
            "gone quiet.",
        },
        min_age=25,
    ),
    _e(
        "birth-mother",
        topic="finding my birth mother",
        gist="I found my birth mother through a DNA site and {she} doesn't want to meet me",
        vague="some family history stuff",
        story="{name} was adopted as a baby and always knew. Two months ago a DNA test matched {obj} with a "
        "half-sister, Carys, and through {her} {name} found {pos} birth mother, Eileen, living sixty miles "
        "away. Last week Eileen replied by letter: {she} was glad {name} was well, but {she} 'could not go "
        "back there' and asked not to be contacted again. {name}'s adoptive parents do not know about the "
        "test.",
        feelings="{Sub} feels rejected a second time, and guilty towards the parents who raised {obj}.",
        conflict="{Sub} wants to respect Eileen's wish, but Carys wants to meet, and there are questions "
        "nobody else can answer.",
        tried="{Sub} has read the letter many times and drafted a reply {sub} has not sent.",
        now="{Sub} keeps the letter in a drawer and checks Carys's messages.",
        angles={
            N.UNDERSTAND_OTHERS: "{name} wants to understand why Eileen cannot meet {obj}, and what 'could "
            "not go back there' might mean.",
            N.EMPATHY: "{name} needs someone to understand the second rejection and the guilt, not to hear "
            "'you have a family already'.",
            N.ANALYSIS: "{name} needs to weigh meeting Carys, replying to Eileen and telling {pos} parents, "
            "and what each would change.",
            N.SELF_GROWTH: "{name} wants to understand what {sub} was hoping to find and what {sub} needs "
            "now.",
        },
        min_age=22,
        max_age=60,
    ),
    _e(
        "licence-taken",
        topic="the children making me give up the car",
        gist="my children went to the doctor behind my back to get my driving licence taken away",
        vague="a family matter",
        story="Two months ago {name} clipped a bollard in the supermarket car park; nobody was hurt. Last "
        "week {pos} daughter, Fenella, and son, Rupert, went to the GP without telling {obj}, and the GP has "
        "now asked {name} to stop driving until {sub} has had an eyesight and memory test. {name} has driven "
        "for fifty years without a claim. The car is how {sub} gets to church, the shops and {pos} friend in "
        "the care home.",
        feelings="{Sub} feels betrayed, treated like a child, and frightened of being stuck at home.",
        conflict="{Sub} wants to keep {pos} independence, but a small voice wonders whether the bollard was "
        "a warning.",
        tried="{Sub} booked the eyesight test and told Fenella {sub} was 'very disappointed'.",
        now="The car sits on the drive, and {name} refuses lifts out of pride.",
        angles={
            N.VALIDATION: "{name} is sure fifty clean years count for something and wants to hear that {sub} "
            "is right to be angry.",
            N.VENTING: "{name} needs to let out the anger about the GP visit behind {pos} back.",
            N.EMPATHY: "{name} needs someone to understand what losing the car would mean: church, the "
            "shops, {pos} friend, {pos} freedom.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand why Fenella and Rupert went behind {pos} back "
            "instead of talking to {obj}.",
        },
        requires="retired parent grown_children",
        excludes="sons_only daughters_only",
        min_age=68,
    ),
)

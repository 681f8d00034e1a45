"""Training-pool life events about family (hand-written; see ``_types`` for placeholders)."""

from __future__ import annotations

from rlver.profiles.builtin._types import LifeEvent
from rlver.profiles.builtin._types import make_event as _e
from rlver.profiles.schema import HiddenNeed as N

__all__ = ["FAMILY_EVENTS"]

FAMILY_EVENTS: tuple[LifeEvent, ...] = (
    _e(
        "care-home-decision",
        topic="my sister moving Mum into a care home without asking me",
        gist="my sister moved Mum into a care home without even asking me",
        vague="family stuff, Mum mostly",
        story="Seven weeks ago {name}'s mother, Irene, fell in {her} kitchen and spent ten days in hospital. "
        "{name} and {pos} older sister, Dana, had agreed to decide together what came next. Three weeks ago "
        "Dana, who lives ten minutes from Irene, signed the papers for a care home called Larchfield without "
        "telling {name}. {name} found out when Irene rang to say the food was 'like school dinners'.",
        feelings="{Sub} feels shut out and furious, and underneath, grieving for the mother Irene used to "
        "be.",
        conflict="{Sub} thinks Irene could have managed at home with carers, but Dana is the one who did the "
        "daily visits, and Irene seems to be settling.",
        tried="{Sub} wrote Dana a long message and got back 'You weren't here'; {sub} has visited Larchfield "
        "twice.",
        now="{name} and Dana are not speaking, and {name} dreads the family group chat.",
        angles={
            N.UNDERSTAND_OTHERS: "{name} cannot work out why Dana went behind {pos} back after they agreed "
            "to decide together.",
            N.VALIDATION: "{name} is sure {sub} had every right to be consulted and wants to hear that {sub} "
            "is not the unreasonable one.",
            N.VENTING: "{name} needs to pour out three weeks of anger about being shut out of {pos} mother's "
            "care.",
            N.ANALYSIS: "{name} needs to weigh whether Larchfield really was the safest choice for Irene "
            "against the way the decision was made.",
            N.EMPATHY: "{name} needs someone to grasp what it is to lose both a say in {pos} mother's life "
            "and {pos} place in the family.",
        },
        min_age=35,
        max_age=70,
    ),
    _e(
        "father-dementia",
        topic="looking after Dad since the diagnosis",
        gist="I've been looking after my dad since {his} dementia diagnosis and it's taking everything",
        vague="looking after my dad",
        story="Eight months ago {name}'s father, Bernard, was diagnosed with Alzheimer's after getting lost "
        "driving to a shop {he} had used for thirty years. Since then {name} has gone to {his} house every "
        "evening to cook, sort {his} pills and check the doors are locked. Last month Bernard accused {obj} "
        "of stealing {his} wallet, which turned up in the freezer. {name}'s brother, Nigel, lives two "
        "hundred miles away and phones on Sundays.",
        feelings="{Sub} feels worn down and lonely, and ashamed of how often {sub} loses patience.",
        conflict="Bernard refuses outside carers, Nigel says 'you're doing brilliantly' and does nothing, "
        "and {name}'s own life is shrinking.",
        tried="{Sub} booked a carer, Precious, for two mornings a week; Bernard shouted at {her} until {she} "
        "left.",
        now="{Sub} has not had an evening to {refl} in months and cries in the car outside Bernard's house.",
        angles={
            N.EMPATHY: "{name} needs someone to feel the grief of losing {pos} father while {he} is still "
            "here.",
            N.PRAISE: "{name} wants someone to see eight months of evenings, the pills, the locked doors and "
            "the patience {sub} keeps finding.",
            N.ADVICE: "{name} wants practical ways to get Bernard to accept help and to make Nigel share the "
            "load.",
            N.VENTING: "{name} needs to let out the exhaustion and the frustration with Nigel without being "
            "called a saint.",
        },
        min_age=30,
        max_age=62,
    ),
    _e(
        "inheritance-dispute",
        topic="the fight with my brother over Dad's house",
        gist="my brother and I are fighting over Dad's house and {he}'s started saying the word 'solicitor'",
        vague="some family money stuff",
        story="{name}'s father, Leonard, died five months ago and left the house to {name} and {pos} "
        "brother, Malcolm, in equal shares. {name} did most of the caring in Leonard's last two years. "
        "Malcolm wants the house sold within three months; {name} wants to wait a year until the market "
        "picks up and {sub} has had time to clear it properly. Last week Malcolm said the word 'solicitor'.",
        feelings="{Sub} feels hurt and cheapened, as if two years of caring have been turned into a property "
        "deal.",
        conflict="{Sub} believes waiting is fair and sensible, but Malcolm needs the money for debts {sub} "
        "only half knows about.",
        tried="{Sub} suggested two independent valuations; Malcolm agreed, then ignored both.",
        now="{Sub} avoids Malcolm's calls and lies awake rehearsing arguments.",
        angles={
            N.VALIDATION: "{name} is sure waiting a year is fair and wants to hear that {sub} is not being "
            "greedy or stubborn.",
            N.ANALYSIS: "{name} needs to weigh selling now against waiting, including what each would do to "
            "the relationship with Malcolm.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand why Malcolm is in such a hurry and what {he} is "
            "not saying.",
            N.VENTING: "{name} needs to vent about Malcolm and the word 'solicitor' before {sub} can think "
            "about anything else.",
        },
        min_age=30,
    ),
    _e(
        "son-skipping-school",
        topic="my son skipping school",
        gist="the school rang to say my son has missed eleven days this term and I had no idea",
        vague="parent stuff",
        story="Two weeks ago the attendance officer at the school of {name}'s fifteen-year-old son, Jayden, "
        "rang: eleven unauthorised absences this term. Jayden had been leaving home in uniform every morning "
        "and spending the day at a friend's flat or the retail park. When {name} confronted {him}, Jayden "
        "said school was 'pointless' and locked {himself} in {his} room. {His} mock results came last week: "
        "two passes out of nine.",
        feelings="{Sub} feels frightened, foolish for not noticing, and angry enough to scare {refl}.",
        conflict="{Sub} wants to clamp down hard, but every time {sub} does, Jayden shuts down further, and "
        "there may be something behind it {sub} cannot see.",
        tried="{Sub} took Jayden's phone for a week, which made things worse, and drove {him} to the gates; "
        "{he} skipped the afternoons instead.",
        now="They barely speak; {name} checks the school app several times a day.",
        angles={
            N.ADVICE: "{name} wants concrete steps to get Jayden back into school that would not end in a "
            "slammed door.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand what is going on for Jayden, and why {he} would "
            "rather sit in a retail park than go in.",
            N.SELF_GROWTH: "{name} wonders what {pos} own way of reacting has done to the distance between "
            "them.",
            N.ANALYSIS: "{name} needs to weigh being strict against giving Jayden room, and where each might "
            "lead.",
            N.EMPATHY: "{name} needs someone to understand the fear of watching {pos} child slip away.",
        },
        requires="parent",
        excludes="daughters_only young_children grown_children",
        min_age=38,
        max_age=58,
    ),
    _e(
        "daughter-emigrating",
        topic="my daughter moving to the other side of the world",
        gist="my daughter is moving to the other side of the world in six weeks",
        vague="my daughter's news",
        story="Two months ago, at Sunday lunch, {name}'s daughter, Sophie, announced that {she} and {her} "
        "boyfriend, Tane, were emigrating to New Zealand, where Tane's family lives. The flights are booked "
        "for six weeks' time. Sophie is twenty-six and they used to talk almost every day. Since the "
        "announcement Sophie has been busy with visas and packing and has cancelled two of their lunches.",
        feelings="{Sub} feels bereft, selfish for feeling it, and cries at odd moments, in the supermarket, "
        "in the car.",
        conflict="{Sub} wants Sophie to be happy but also wants to say 'please don't go', and fears any "
        "honesty will spoil the last weeks.",
        tried="{Sub} has smiled through the plans, offered to help pack, and looked up flights to Auckland "
        "late at night.",
        now="{Sub} is counting the days and pretending to be fine.",
        angles={
            N.EMPATHY: "{name} needs someone to feel the grief of a daughter leaving, without hearing it is "
            "'only a flight away'.",
            N.SELF_GROWTH: "{name} wants to understand what {pos} life looks like beyond being Sophie's "
            "parent, and why that frightens {obj}.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand why Sophie seems to be pulling away before "
            "{she} has even left.",
            N.VENTING: "{name} needs to say the selfish things out loud, just once, to someone who is not "
            "Sophie.",
        },
        requires="parent grown_children",
        excludes="sons_only",
        min_age=45,
        max_age=70,
    ),
    _e(
        "left-out-of-wedding",
        topic="not being in my brother's wedding party",
        gist="my little brother's getting married and I'm not in the wedding party, but {his} uni mates are",
        vague="a family wedding thing",
        story="Three weeks ago {name}'s younger brother, Rory, sent round the plans for {his} wedding in the "
        "spring. The wedding party is four of Rory's university friends and the bride's sister. {name}, who "
        "helped raise Rory when their mother was ill and lent {him} the deposit for {his} first flat, has "
        "been asked to 'do a reading'. Their mother, Pauline, says {name} is making it about {refl}.",
        feelings="{Sub} feels pushed aside, and ashamed of how much it hurts.",
        conflict="{Sub} doesn't want to spoil Rory's wedding, but pretending it is fine feels like "
        "swallowing something sharp.",
        tried="{Sub} made a light joke about it to Rory, who laughed and changed the subject; {sub} has said "
        "yes to the reading.",
        now="{Sub} has been short with everyone and has not bought a present.",
        angles={
            N.UNDERSTAND_OTHERS: "{name} wants to understand why Rory left {obj} out, and why Pauline took "
            "Rory's side so fast.",
            N.EMPATHY: "{name} needs someone to see this is about years of being Rory's second parent, not "
            "about a wedding.",
            N.VALIDATION: "{name} is sure being hurt is fair after everything {sub} did for Rory and wants "
            "to hear that {sub} is not being petty.",
            N.VENTING: "{name} needs to rant about the wedding party and 'do a reading' without being told "
            "to be the bigger person.",
        },
        min_age=24,
        max_age=60,
    ),
    _e(
        "parents-divorcing",
        topic="my parents splitting up after thirty-two years",
        gist="my parents told us over Sunday dinner that they're splitting up after thirty-two years",
        vague="some family news",
        story="Three weeks ago, over Sunday dinner, {name}'s parents, Clifford and Jean, announced that they "
        "were separating after thirty-two years of marriage. Jean is moving into a flat near {her} sister; "
        "Clifford is keeping the family house. Both insist it is 'amicable', but each has since phoned "
        "{name} separately to complain about the other, and last week Jean asked {name} to help {her} tell "
        "the rest of the family.",
        feelings="{Sub} feels strangely young again, and foolish for minding so much as an adult.",
        conflict="{Sub} wants to support both parents but keeps being pulled into the middle, and wonders "
        "whether {sub} ever really knew them.",
        tried="{Sub} has listened to both, refused to pass on messages, and stopped answering the phone "
        "after nine.",
        now="{Sub} feels like a go-between and has not cried about it yet.",
        angles={
            N.UNDERSTAND_OTHERS: "{name} wants to understand why Clifford and Jean are ending it now, and "
            "what {sub} never saw.",
            N.EMPATHY: "{name} needs someone to understand the odd, childlike grief of losing the family as "
            "{sub} knew it.",
            N.ANALYSIS: "{name} needs to think through how far to get involved and what being fair to both "
            "parents would actually mean.",
            N.SELF_GROWTH: "{name} wants to understand why {sub} always ends up as the family's peacemaker.",
        },
        min_age=20,
        max_age=36,
    ),
    _e(
        "in-laws-criticism",
        topic="my in-laws criticising how we raise the kids",
        gist="my in-laws spent the whole weekend telling me how I'm raising the kids wrong",
        vague="the in-laws",
        story="Over the bank-holiday weekend {name}'s in-laws, Brenda and Roger, stayed for three nights. "
        "Brenda commented on the children's bedtimes, their screen time and what they ate, and on Sunday "
        "told the youngest, in front of {name}, that their parents were 'far too soft'. {partner} said "
        "nothing at the time and later told {name} {p_sub} 'didn't want a scene'.",
        feelings="{Sub} feels undermined in {pos} own home and, more than anything, let down by {partner}.",
        conflict="{Sub} wants {partner} to back {obj}, but {partner} hates conflict with {p_pos} parents, "
        "and they are coming back at Christmas.",
        tried="{Sub} raised it with {partner} on Sunday night, and it turned into their worst row in a year.",
        now="{Sub} is dreading Christmas and keeps replaying 'far too soft'.",
        angles={
            N.VALIDATION: "{name} is sure {pos} parenting is sound and that {sub} was right to be upset, and "
            "wants that confirmed.",
            N.VENTING: "{name} needs to rant about Brenda and the weekend without being asked to see the "
            "grandparents' side.",
            N.ADVICE: "{name} wants practical ways to handle Christmas and agree a line with {partner} "
            "beforehand.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand why {partner} goes silent around {p_pos} "
            "parents and what Brenda is really worried about.",
        },
        requires="parent partnered",
        excludes="one_child grown_children",
        min_age=28,
        max_age=55,
    ),
    _e(
        "sleepless-toddler",
        topic="eighteen months of broken nights with my youngest",
        gist="my youngest hasn't slept through the night once in eighteen months",
        vague="tiredness, mostly",
        story="{name}'s youngest, Evie, is eighteen months old and has never slept more than three hours in "
        "a row, and {name} does most of the nights. Two weeks ago {sub} nodded off at a red light with Evie "
        "in the back and was woken by a horn. The health visitor said it was 'a phase'; on a parenting forum "
        "strangers told {obj} {sub} was 'creating bad habits'.",
        feelings="{Sub} feels like a ghost of {refl}, ashamed of resenting a baby, and frightened since the "
        "red light.",
        conflict="{Sub} is desperate for sleep, but every method feels either cruel or useless, and asking "
        "for help feels like failing.",
        tried="{Sub} has tried controlled crying for three nights, white noise, earlier bedtimes and a sleep "
        "consultant's e-book.",
        now="{Sub} lives on coffee, has snapped at everyone this week, and cries at adverts.",
        angles={
            N.EMPATHY: "{name} needs someone to understand how depleted and ashamed {sub} feels, not to hear "
            "that 'it goes so fast'.",
            N.PRAISE: "{name} wants someone to see eighteen months of nights done mostly alone, and how hard "
            "{sub} has tried.",
            N.ADVICE: "{name} wants concrete, realistic steps to get more sleep and more help, starting this "
            "week.",
            N.VENTING: "{name} needs to let out the exhaustion and the forum comments without being judged "
            "for resenting it.",
        },
        requires="parent",
        excludes="one_child sons_only teen_children grown_children",
        min_age=26,
        max_age=40,
    ),
    _e(
        "estranged-father",
        topic="my dad getting back in touch after fourteen years",
        gist="my dad messaged me out of nowhere after fourteen years of nothing",
        vague="a message from someone",
        story="Ten days ago {name} got a message from {pos} father, Terry, whom {sub} last saw fourteen "
        "years ago. Terry left the family after years of drinking and broken promises. The message said {he} "
        "had been sober for three years, had 'a lot to make up for' and would love to meet for a coffee. "
        "{name}'s mother, Yvonne, says to block {him}; a cousin who is in touch with Terry says {he} really "
        "has changed.",
        feelings="{Sub} feels a jumble of anger, curiosity and a small, embarrassing hope.",
        conflict="Meeting Terry might open old wounds and hurt Yvonne; ignoring {him} might mean never "
        "knowing.",
        tried="{Sub} has written six replies and sent none, and looks at Terry's profile late at night.",
        now="The message sits unanswered, and {name} opens it most evenings.",
        angles={
            N.ANALYSIS: "{name} needs to weigh meeting Terry against protecting {refl} and Yvonne, and what "
            "each choice might cost.",
            N.SELF_GROWTH: "{name} wants to understand what {sub} actually needs from Terry, and what "
            "fourteen years of silence have done to {obj}.",
            N.UNDERSTAND_OTHERS: "{name} wants to understand why Terry is reaching out now, and why Yvonne "
            "reacts so strongly.",
            N.EMPATHY: "{name} needs someone to understand the tangle of anger and hope without being told "
            "what to do.",
        },
        min_age=20,
        max_age=45,
        excludes="lives_with_parents",
    ),
    _e(
        "caring-for-brother",
        topic="doing everything for my brother while the rest of the family does nothing",
        gist="I'm the only one in the family who does anything for my brother, and somehow my sister gets "
        "the thanks",
        vague="family caring stuff",
        story="{name}'s younger brother, Toby, has cerebral palsy and lives in supported housing across "
        "town. Since their mother's hip operation last year, {name} has done Toby's weekly shop, the "
        "hospital appointments and the fights with the benefits office. Last month {sub} spent three weeks "
        "getting Toby's wheelchair repaired after the council lost the paperwork twice. At a family lunch on "
        "Sunday an aunt toasted {pos} sister, Nicola, for 'always being there for Toby'. Nicola visits at "
        "Christmas.",
        feelings="{Sub} feels invisible and tired, and guilty for resenting something {sub} does out of "
        "love.",
        conflict="{Sub} wants recognition and help without it sounding like a complaint about Toby.",
        tried="{Sub} made a shared calendar of Toby's appointments; Nicola accepted the invite and never "
        "opened it.",
        now="{Sub} is doing it all and saying nothing.",
        angles={
            N.PRAISE: "{name} wants someone to see and name what {sub} actually does: the shop, the "
            "appointments, three weeks of fighting for a wheelchair.",
            N.VENTING: "{name} needs to let out the resentment about the toast and Nicola without being told "
            "{sub} is lucky to have Toby.",
            N.EMPATHY: "{name} needs someone to understand how lonely it is to love someone and carry it all "
            "alone.",
            N.ADVICE: "{name} wants practical ways to share the load with Nicola and to stop the council "
            "losing paperwork.",
            N.VALIDATION: "{name} is sure {sub} has the right to be angry about the toast and wants to hear "
            "that it is fair.",
        },
        min_age=22,
        max_age=65,
    ),
    _e(
        "children-want-sale",
        topic="the children wanting me to sell up",
        gist="since {partner} died the children keep on at me to sell up and move somewhere 'sensible'",
        vague="the house, and the children",
        story="{partner} died fourteen months ago, and {name} has lived alone in their home since. At a "
        "family meeting last month {pos} son, Graham, laid out brochures for a retirement flat with a "
        "warden, 'for peace of mind'. {name} managed the garden and the stairs all winter, though {sub} had "
        "a fall on the icy step six weeks ago. Graham has now mentioned an estate agent twice.",
        feelings="{Sub} feels patronised and frightened, and fiercely attached to every room that still "
        "holds {partner}.",
        conflict="{Sub} wants to stay, but the fall frightened {obj} more than {sub} admits, and {sub} does "
        "not want to be a burden.",
        tried="{Sub} agreed to a personal alarm and a stair rail, and refused the brochures.",
        now="{Sub} avoids Graham's Sunday calls and sits in {partner}'s chair in the evenings.",
        angles={
            N.UNDERSTAND_OTHERS: "{name} wants to understand why Graham is pushing so hard and what {he} is "
            "really afraid of.",
            N.ANALYSIS: "{name} needs to weigh staying against moving honestly, including the fall {sub} "
            "plays down.",
            N.VALIDATION: "{name} is sure {sub} has every right to stay in {pos} own home and wants to hear "
            "it said.",
            N.EMPATHY: "{name} needs someone to understand that leaving would feel like losing {partner} a "
            "second time.",
        },
        requires="widowed",
        excludes="daughters_only",
        min_age=60,
    ),
    _e(
        "grandchildren-withheld",
        topic="not being allowed to see the grandchildren",
        gist="my daughter-in-law has stopped letting me see the grandchildren, over a birthday cake of all "
        "things",
        vague="family, the grandchildren",
        story="Until four months ago {name} looked after {pos} son's two children, Isla and Archie, every "
        "Wednesday after school. Then, after a disagreement with {pos} daughter-in-law, Kelly, about "
        "Archie's nut allergy and a birthday cake, the Wednesdays stopped. Kelly said {name} 'never "
        "listens'. {Pos} son, Darren, sends photos but says it is 'best to give it time'. Archie turned "
        "seven last Saturday; {name}'s card came back unopened.",
        feelings="{Sub} feels bereaved and bewildered, and humiliated when friends ask after the "
        "grandchildren.",
        conflict="{Sub} believes {sub} did nothing wrong about the cake, but apologising might be the only "
        "way back.",
        tried="{Sub} wrote Kelly a letter explaining that the cake came from a nut-free bakery; there was no "
        "reply.",
        now="{Sub} keeps Wednesday afternoons empty anyway.",
        angles={
            N.UNDERSTAND_OTHERS: "{name} wants to understand what is really behind Kelly's anger and why "
            "Darren will not step in.",
            N.VALIDATION: "{name} is sure the cake was safe and that {sub} has been treated unfairly, and "
            "wants that confirmed.",
            N.VENTING: "{name} needs to let out four months of hurt and anger about the empty Wednesdays.",
            N.SELF_GROWTH: "{name} wants to consider, honestly, why Kelly might feel {sub} 'never listens'.",
        },
        requires="parent grown_children",
        excludes="daughters_only",
        min_age=58,
        max_age=78,
    ),
    _e(
        "mother-comparisons",
        topic="Mum comparing me to my sister at every family lunch",
        gist="my mum spent the whole of Sunday lunch comparing me to my sister again",
        vague="Mum being Mum",
        story="Last Sunday, at {pos} mother Marion's sixtieth birthday lunch, Marion told the table that "
        "{name}'s younger sister, Gemma, had 'sorted {her} life out': a mortgage, a wedding and a promotion. "
        "Then {she} asked {name}, in front of everyone, whether {sub} was 'ever going to settle down'. It "
        "has been the same since school: Gemma's swimming medals on the fridge, {name}'s art projects in a "
        "drawer.",
        feelings="{Sub} feels about twelve years old again and hates that Marion can still do this.",
        conflict="{Sub} wants Marion to stop, but confronting {her} means a scene and weeks of silence, and "
        "Gemma gets defensive whenever it comes up.",
        tried="{Sub} has tried laughing it off, leaving early and, once, saying 'that hurt', which Marion "
        "called 'oversensitive'.",
        now="{Sub} is finding excuses not to go next Sunday.",
        angles={
            N.UNDERSTAND_OTHERS: "{name} wants to understand why Marion keeps comparing them and what {she} "
            "gets out of it.",
            N.SELF_GROWTH: "{name} wants to understand why Marion's opinion still matters so much, and how "
            "to loosen its grip.",
            N.EMPATHY: "{name} needs someone to understand how old and deep this hurt is, not to hear that "
            "Marion 'means well'.",
            N.VALIDATION: "{name} is sure {sub} has nothing to apologise for and wants to hear that being "
            "hurt is not oversensitive.",
            N.VENTING: "{name} needs to get the whole lunch off {pos} chest without anyone defending Marion.",
        },
        requires="single",
        min_age=24,
        max_age=40,
    ),
)

"""Life events for ``builtin:test``: a pool disjoint from the training events (a test checks it)."""

from __future__ import annotations

from rlver.profiles.builtin._types import LifeEvent, make_event
from rlver.profiles.schema import HiddenNeed as N

__all__ = ["TEST_EVENTS"]


def _e(key: str, **kwargs) -> LifeEvent:  # type: ignore[no-untyped-def]
    return make_event(key, pool="test", **kwargs)


TEST_EVENTS: tuple[LifeEvent, ...] = (
    _e(
        "relocate-or-redundancy",
        topic="being told to move to the Swindon office or take redundancy",
        gist="work told me to move to an office two hundred miles away or take redundancy",
        vague="a work decision",
        story="A fortnight ago {name}'s director, Philippa, called a meeting at {workplace} and announced a "
        "merger: the local site will close in the new year. Staff can transfer to the head office in "
        "Swindon, two hundred miles away, or take redundancy at twelve weeks' pay. {name} has until the end "
        "of next month to choose. {Sub} has worked there eleven years, and {pos} whole life is in {city}.",
        feelings="{Sub} feels betrayed after eleven loyal years, and frightened of choosing wrong.",
        conflict="Moving means leaving everyone {sub} knows; staying means no job and a thin payout in a "
        "slow local market.",
        tried="{Sub} asked Philippa about working remotely and was told it was 'not on the table'; {sub} has "
        "found two local vacancies.",
        now="{Sub} lies awake running numbers and has stopped talking about it at home.",
        angles={
            N.ANALYSIS: "{name} needs to weigh the move against redundancy properly: money, roots, and what "
            "{sub} would give up either way.",
            N.ADVICE: "{name} wants practical steps: what to negotiate, what to ask for, and how to test the "
            "local job market before the deadline.",
            N.EMPATHY: "{name} needs someone to feel the betrayal of eleven loyal years ending in a choice "
            "like this.",
            N.SELF_GROWTH: "{name} wants to understand why {sub} stayed so long in one place and what {sub} "
            "wants next.",
        },
        requires="employed",
        excludes="public_sector",
        min_age=30,
        max_age=60,
    ),
    _e(
        "leaving-email",
        topic="what Tasha wrote about me in {her} leaving email",
        gist="a colleague left and sent the whole team an email more or less blaming me for why {she} quit",
        vague="an email at work",
        story="Last Friday {name}'s colleague Tasha left {workplace} after four years and sent a goodbye "
        "email to forty people. Between the thank-yous was a line: 'special mention to those who made the "
        "last year so hard that leaving was easy', and a reference to 'a certain someone's rota'. {name} "
        "does the rota. Colleagues have been unusually polite since, and one asked {obj} if {sub} was "
        "'okay'.",
        feelings="{Sub} feels publicly accused and unable to answer back.",
        conflict="{Sub} believes {sub} did the rota fairly under impossible staffing, but now doubts how "
        "{sub} came across to Tasha.",
        tried="{Sub} drafted a reply-all and deleted it; {sub} messaged Tasha privately and got no answer.",
        now="{Sub} replays every shift swap of the last year.",
        angles={
            N.UNDERSTAND_OTHERS: "{name} wants to understand what Tasha was really angry about and why {she} "
            "chose a public email.",
            N.VALIDATION: "{name} is sure the rota was fair given the staffing and wants that confirmed.",
            N.VENTING: "{name} needs to let off steam about the email and the careful politeness since.",
            N.SELF_GROWTH: "{name} wants to look honestly at how {sub} handled Tasha's requests and what "
            "{sub} could do differently.",
        },
        requires="employed",
        min_age=24,
    ),
    _e(
        "flood-insurers",
        topic="the flood and the fight with the insurers",
        gist="a pipe burst while I was away, the ground floor flooded, and the insurers are fighting me on "
        "everything",
        vague="a house thing, a bit of a mess",
        story="Five weeks ago a pipe burst in {name}'s home while {sub} was away for the weekend. {Sub} came "
        "back to water over the skirting boards, a ruined kitchen and a box of family photographs soaked "
        "through. Since then {sub} has dealt with a loss adjuster, three builders and an insurer that "
        "rejected two claims as 'wear and tear'. {Sub} kept every receipt, photographed everything and found "
        "a cheaper builder than the insurer's own.",
        feelings="{Sub} feels exhausted and under siege in {pos} own home, and grieves for the photographs.",
        conflict="{Sub} is fighting for every pound while living in two rooms with dehumidifiers roaring.",
        tried="{Sub} has written three formal complaints, logged every call and got one rejection "
        "overturned.",
        now="{Sub} is waiting for a decision on the kitchen and sleeping badly.",
        angles={
            N.ADVICE: "{name} wants concrete steps to make the insurer pay, including the ombudsman and "
            "which evidence matters.",
            N.VENTING: "{name} needs to vent about five weeks of loss adjusters and 'wear and tear' without "
            "being told it could be worse.",
            N.EMPATHY: "{name} needs someone to understand the lost photographs and the feeling that home is "
            "no longer safe.",
            N.PRAISE: "{name} wants someone to recognise how well {sub} has handled it: every receipt, every "
            "photo, one rejection already overturned.",
        },
        excludes="renter student",
        min_age=25,
    ),
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
    ),
    _e(
        "wedding-row",
        topic="the row with Noor at Amara's wedding",
        gist="I had a row about politics with an old friend at a wedding and now {she}'s telling everyone I "
        "ruined it",
        vague="a wedding that went sideways",
        story="Three weekends ago, at their friend Amara's wedding, {name} was seated next to an old "
        "university friend, Noor, at the evening do. Noor called people on benefits 'scroungers'. {name}, "
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
        "twins-cafe",
        topic="bailing out my twin's café",
        gist="I lent my twin five thousand to save {his} café and now {he} wants eight more",
        vague="a family money thing",
        story="Eight months ago {name}'s twin brother, Leo, opened a café on the high street with {his} "
        "savings. In the spring {name} lent {him} five thousand to cover a bad quarter. Last week Leo asked "
        "for another eight 'to get through winter' and said the café would close without it. {name} has seen "
        "the books: takings are down a third. Their parents think {name} should help 'because family is "
        "family'.",
        feelings="{Sub} feels cornered and guilty, and scared for Leo.",
        conflict="Saying no might end the café and sour things between them; saying yes might mean losing "
        "thirteen thousand.",
        tried="{Sub} suggested seeing a business adviser together; Leo said {name} did not believe in {him}.",
        now="{Sub} has not answered, and Leo has stopped texting.",
        angles={
            N.ADVICE: "{name} wants practical options: conditions on a loan, outside help, or a kind way to "
            "say no.",
            N.ANALYSIS: "{name} needs to weigh the money, the café's real chances and the relationship with "
            "Leo clearly.",
            N.VALIDATION: "{name} is sure asking for a proper plan first is reasonable and wants to hear "
            "that it is not a betrayal.",
            N.EMPATHY: "{name} needs someone to understand being asked to choose between {pos} twin and "
            "{pos} own security.",
        },
        excludes="student",
        min_age=25,
        max_age=60,
    ),
    _e(
        "graduate-scheme-rejection",
        topic="being turned down by the graduate scheme for the third time",
        gist="I got rejected from the graduate scheme again, third year running",
        vague="some applications",
        story="For three years {name} has applied to the same civil-service graduate scheme. This year {sub} "
        "got through the tests and the video interview to the final assessment day for the first time, after "
        "weeks of practice with a careers adviser, Mr Dunmore. On Tuesday the email came: 'not successful on "
        "this occasion', with no feedback. Two friends from {pos} course got offers.",
        feelings="{Sub} feels crushed and stuck, and embarrassed in front of friends.",
        conflict="{Sub} cannot tell whether to try a fourth time or give up on the career {sub} has planned "
        "since school.",
        tried="{Sub} asked for feedback twice and got a template reply; {sub} has looked at other schemes "
        "without enthusiasm.",
        now="{Sub} has stopped opening job emails.",
        angles={
            N.EMPATHY: "{name} needs someone to feel the disappointment of getting so close for the first "
            "time and still failing.",
            N.SELF_GROWTH: "{name} wants to understand what {sub} could do differently, and whether this "
            "path is really {pos} own.",
            N.ADVICE: "{name} wants concrete next steps: feedback, alternatives, or a better plan for a "
            "fourth attempt.",
            N.PRAISE: "{name} wants someone to recognise three years of persistence and getting further than "
            "ever.",
        },
        excludes="self_employed",
        min_age=21,
        max_age=28,
    ),
    _e(
        "partner-affair",
        topic="finding out {partner} has been seeing someone else",
        gist="I found messages on {partner}'s phone; {p_sub}'s been seeing someone from work for months",
        vague="things at home",
        story="Three weeks ago {name} picked up {partner}'s phone to check a recipe and saw a message from a "
        "colleague called Sasha: 'last night was perfect x'. {partner} admitted to a four-month affair, said "
        "it was over and begged {name} to stay. They have been together nine years. {name}'s best friend "
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
        "roundabout-crash",
        topic="the crash on the roundabout",
        gist="a van drove into me on a roundabout and I haven't been right behind the wheel since",
        vague="a bit of a bump, a while back",
        story="Six weeks ago a van went into the side of {name}'s car on a roundabout. {Sub} walked away "
        "with whiplash and bruises; the van driver admitted fault at the scene, then changed {his} story to "
        "the insurers. Since then {name} drives the long way round to avoid roundabouts, grips the wheel and "
        "jumps at horns. A friend told {obj} to 'get straight back on the horse'.",
        feelings="{Sub} feels jumpy and embarrassed, and angry that the driver is lying.",
        conflict="{Sub} needs the car every day, but every drive is tense, and the insurance fight keeps it "
        "fresh.",
        tried="{Sub} found a witness through a local appeal and has done a few short drives with the radio "
        "off.",
        now="{Sub} has cancelled two trips to see friends.",
        angles={
            N.EMPATHY: "{name} needs someone to understand how shaken {sub} still is, not to hear 'at least "
            "nobody was hurt'.",
            N.VALIDATION: "{name} is sure the crash was not {pos} fault and wants to hear it plainly.",
            N.ADVICE: "{name} wants practical steps for the insurance dispute and for getting confident "
            "behind the wheel again.",
            N.VENTING: "{name} needs to rant about the van driver's changed story.",
        },
        excludes="student",
        min_age=25,
        max_age=80,
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
        "acting-manager",
        topic="being made acting manager and the team turning on me",
        gist="they made me acting manager and my old teammates have turned on me",
        vague="a promotion, sort of",
        story="Two months ago {name}'s manager at {workplace} went on long-term sick leave, and {name} was "
        "asked to step up as acting manager. {Sub} has kept things running: filled every rota gap, handled a "
        "formal complaint and cut overtime costs by a fifth, as asked. But {pos} old friends on the team "
        "have stopped inviting {obj} for drinks, and one, Darius, said in a meeting that {name} had "
        "'changed'.",
        feelings="{Sub} feels lonely in the middle and unsure whether {sub} is any good at this.",
        conflict="{Sub} has to make unpopular decisions while keeping friendships {sub} values.",
        tried="{Sub} bought a round to clear the air; Darius didn't come.",
        now="{Sub} eats lunch alone and wonders whether to apply for the post permanently.",
        angles={
            N.ADVICE: "{name} wants practical ways to lead old friends fairly and rebuild trust with Darius.",
            N.ANALYSIS: "{name} needs to weigh applying for the post permanently against going back to the "
            "team.",
            N.PRAISE: "{name} wants someone to recognise two months of filled rotas, a complaint handled and "
            "a fifth cut from overtime.",
            N.SELF_GROWTH: "{name} wants to understand how the role is changing {obj} and what kind of "
            "leader {sub} wants to be.",
        },
        requires="employed",
        excludes="manager",
        min_age=24,
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
        requires="parent grown_children",
        excludes="sons_only",
        min_age=45,
    ),
    _e(
        "quit-without-plan",
        topic="wanting to quit my job with nothing lined up",
        gist="I want to hand in my notice with nothing lined up, and everyone thinks I've lost it",
        vague="work, and whether to stay",
        story="For a year {name} has dreaded Sunday evenings. Last month {sub} sat in the car park outside "
        "{workplace} for twenty minutes before {sub} could go in. {Sub} has six months of savings and a "
        "half-formed plan to take a few months off and retrain. {Pos} family says 'nobody likes their job'; "
        "a friend, Yusuf, says 'just do it'.",
        feelings="{Sub} feels trapped and reckless in turns, and ashamed of not coping with an ordinary job.",
        conflict="Staying is slowly wearing {obj} down; leaving without a plan feels irresponsible.",
        tried="{Sub} took a week off, which helped for two days, and looked at courses without applying.",
        now="{Sub} has a resignation letter saved in drafts.",
        angles={
            N.ANALYSIS: "{name} needs to weigh the risks of leaving now against the cost of staying, "
            "honestly and in numbers.",
            N.SELF_GROWTH: "{name} wants to understand what exactly is wearing {obj} down and what {sub} "
            "wants instead.",
            N.ADVICE: "{name} wants a concrete plan: what to test before resigning and how to use the "
            "savings well.",
            N.EMPATHY: "{name} needs someone to understand how heavy every Sunday evening has become.",
        },
        requires="employed",
        min_age=26,
        max_age=55,
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
